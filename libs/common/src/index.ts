export * from './backoff.js';
export * from './wake-signal.js';
