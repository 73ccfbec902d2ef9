import { outboxMigrations } from '#outbox';
import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764237600000 } from './1764237600000-initial-schema.js';
import { RepeatsAnsweredByOriginal1764400000000 } from './1764400000000-repeats-answered-by-original.js';
import { ProviderCallBudget1764400100000 } from './1764400100000-provider-call-budget.js';
import { OperatorApi1764400200000 } from './1764400200000-operator-api.js';
import { TraceContext1764400300000 } from './1764400300000-trace-context.js';
import { RepeatsFlaggedOnOriginal1764400400000 } from './1764400400000-repeats-flagged-on-original.js';
import { ClaimableRequestsHaveProviderBody1764400700000 } from './1764400700000-claimable-requests-have-provider-body.js';
import { KafkaPositionNamesItsRecord1764401000000 } from './1764401000000-kafka-position-names-its-record.js';

type Migration = new () => MigrationInterface;

/** The service's own migrations, oldest first. Listed explicitly: no file globbing at run time. */
const serviceMigrations: Migration[] = [
  InitialSchema1764237600000,
  RepeatsAnsweredByOriginal1764400000000,
  ProviderCallBudget1764400100000,
  OperatorApi1764400200000,
  TraceContext1764400300000,
  RepeatsFlaggedOnOriginal1764400400000,
  ClaimableRequestsHaveProviderBody1764400700000,
  KafkaPositionNamesItsRecord1764401000000,
];

/**
 * Every migration, the service's and the outbox library's (its table's own steps), in one chain
 * oldest first: TypeORM runs them in the order of the timestamp that ends each class name.
 */
export const migrations: Migration[] = [...serviceMigrations, ...outboxMigrations].sort((a, b) => timestampOf(a) - timestampOf(b));

function timestampOf(migration: Migration): number {
  const timestamp = /\d{13}$/.exec(migration.name);
  if (!timestamp) throw new Error(`migration ${migration.name}: its class name must end with its 13-digit timestamp`);
  return Number(timestamp[0]);
}
