export * from './resend-ai-request.js';
export * from './signing.js';
export * from './provider-call-result.js';
export * from './task-lookup-result.js';
export * from './provider-envelope.js';
export * from './provider-date-time.js';
export * from './classification-table.js';
export * from './classification.js';
export { ItniotechClient, type ItniotechClientOptions, type TimeRange } from './itniotech-client.js';
