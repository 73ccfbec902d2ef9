export * from './outbox-key-order.js';
export * from './outbox-message.js';
export * from './outbox-publisher.js';
export * from './outbox.relay.js';
export * from './outbox.writer.js';
export * from './outbox.module.js';
export * from './writer-publication.js';
export * from './schema/index.js';
export {
  claimUnpublished,
  insertOutboxRows,
  OUTBOX_CHANNEL,
  OUTBOX_ROW_COLUMNS,
  OUTBOX_WRITE_PARAMETERS,
  outboxRows,
  releaseHeldBehindEarlier,
} from './outbox.sql.js';
