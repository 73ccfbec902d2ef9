export * from './backoff.js';
export * from './wake-signal.js';
export * from './failpoint.js';
export * from './kafka-errors.js';
export * from './trace-context.js';
export * from './tracing.js';
export * from './stage-progress.js';
export * from './kafka-client.js';
