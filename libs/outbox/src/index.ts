export * from './outbox-key-order.js';
export * from './outbox-publisher.js';
export * from './outbox.relay.js';
export * from './outbox.writer.js';
export * from './outbox.module.js';
export * from './schema/index.js';
export { OUTBOX_CHANNEL } from './outbox.sql.js';
