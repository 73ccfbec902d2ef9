import type { MigrationInterface } from 'typeorm';
import { OutboxRefused1764300000000 } from './1764300000000-outbox-refused.js';
import { OutboxReadableView1764300100000 } from './1764300100000-outbox-readable-view.js';
import { OutboxClaimInOrder1764400500000 } from './1764400500000-outbox-claim-in-order.js';
import { OutboxWriterPublishes1764400600000 } from './1764400600000-outbox-writer-publishes.js';
import { OutboxWriterHoldsRows1764400800000 } from './1764400800000-outbox-writer-holds-rows.js';
import { OutboxOrderPerKey1764400900000 } from './1764400900000-outbox-order-per-key.js';

export { createOutboxTable, dropOutboxTable } from './outbox-table.js';

/**
 * The outbox's own schema steps, oldest first, as TypeORM migrations: the application merges them
 * into its chain by timestamp (migrations/index.ts), and its migration runner applies them. Each
 * keeps its class name and `name` (TypeORM's record of what ran) whichever chain lists it.
 *
 * Three of the application's migrations touch the outbox too and stay with it, each created as one
 * step with the application's own tables or columns: InitialSchema1764237600000 runs
 * createOutboxTable (the table, its INSERT trigger on OUTBOX_CHANNEL, the readable view);
 * OperatorApi1764400200000 adds `request_id` (backfilled from the outcome events' JSON) and
 * TraceContext1764400300000 adds `trace_parent` and `trace_state`, the columns OutboxMessage's
 * `requestId` and `trace` are written to.
 */
export const outboxMigrations: (new () => MigrationInterface)[] = [
  OutboxRefused1764300000000,
  OutboxReadableView1764300100000,
  OutboxClaimInOrder1764400500000,
  OutboxWriterPublishes1764400600000,
  OutboxWriterHoldsRows1764400800000,
  OutboxOrderPerKey1764400900000,
];
