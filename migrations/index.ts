import { InitialSchema1764237600000 } from './1764237600000-initial-schema.js';
import { OutboxRefused1764300000000 } from './1764300000000-outbox-refused.js';
import { OutboxReadableView1764300100000 } from './1764300100000-outbox-readable-view.js';
import { RepeatsAnsweredByOriginal1764400000000 } from './1764400000000-repeats-answered-by-original.js';
import { ProviderCallBudget1764400100000 } from './1764400100000-provider-call-budget.js';
import { OperatorApi1764400200000 } from './1764400200000-operator-api.js';
import { TraceContext1764400300000 } from './1764400300000-trace-context.js';
import { RepeatsFlaggedOnOriginal1764400400000 } from './1764400400000-repeats-flagged-on-original.js';
import { OutboxClaimInOrder1764400500000 } from './1764400500000-outbox-claim-in-order.js';
import { OutboxWriterPublishes1764400600000 } from './1764400600000-outbox-writer-publishes.js';
import { ClaimableRequestsHaveProviderBody1764400700000 } from './1764400700000-claimable-requests-have-provider-body.js';
import { OutboxWriterHoldsRows1764400800000 } from './1764400800000-outbox-writer-holds-rows.js';
import { OutboxOrderPerKey1764400900000 } from './1764400900000-outbox-order-per-key.js';
import { KafkaPositionNamesItsRecord1764401000000 } from './1764401000000-kafka-position-names-its-record.js';

/** Every migration, oldest first. Listed explicitly: no file globbing at run time. */
export const migrations = [
  InitialSchema1764237600000,
  OutboxRefused1764300000000,
  OutboxReadableView1764300100000,
  RepeatsAnsweredByOriginal1764400000000,
  ProviderCallBudget1764400100000,
  OperatorApi1764400200000,
  TraceContext1764400300000,
  RepeatsFlaggedOnOriginal1764400400000,
  OutboxClaimInOrder1764400500000,
  OutboxWriterPublishes1764400600000,
  ClaimableRequestsHaveProviderBody1764400700000,
  OutboxWriterHoldsRows1764400800000,
  OutboxOrderPerKey1764400900000,
  KafkaPositionNamesItsRecord1764401000000,
];
