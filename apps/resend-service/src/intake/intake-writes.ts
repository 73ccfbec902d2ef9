import type { OutboxMessage } from '#outbox';
import type { OutcomeEvents } from '../outcome/outcome-events.js';
import type { DeadLetterEntry } from './dead-letters.js';
import type { IntakeDecision } from './intake-decision.js';
import type { NewRequestRow } from './intake.sql.js';
import type { ReceivedMessage, ReceivedRequest } from './received-message.js';

/** Builds outcome events (OutcomeEvents); a spec passes a deterministic one. */
export type OutcomeBuilder = Pick<OutcomeEvents, 'completed' | 'failed'>;

/** What one batch's decisions write in its transaction. */
export interface IntakeWrites {
  rows: NewRequestRow[];
  events: OutboxMessage[];
  deadLetters: DeadLetterEntry[];
}

/**
 * The rows, outcome events and dead letters that the decisions (one per message of `batch`, in
 * order) call for. A redelivery writes nothing; a message that cannot be a request is only a dead
 * letter; a refused request is a finished row with its failure event at `now`.
 */
export function writesFor(
  batch: readonly ReceivedMessage[],
  decisions: readonly IntakeDecision[],
  outcomes: OutcomeBuilder,
  now: Date,
): IntakeWrites {
  const writes: IntakeWrites = { rows: [], events: [], deadLetters: [] };
  batch.forEach((received, index) => {
    const decision = decisions[index]!;
    if (received.kind === 'dead_letter') {
      writes.deadLetters.push({ message: received.message, reason: received.reason, error: received.error, trace: received.trace });
      return;
    }
    if (decision.kind === 'redelivery' || decision.kind === 'dead_letter') return;
    writeRequest(writes, received, decision, outcomes, now);
  });
  return writes;
}

function writeRequest(
  writes: IntakeWrites,
  received: ReceivedRequest,
  decision: Exclude<IntakeDecision, { kind: 'redelivery' | 'dead_letter' }>,
  outcomes: OutcomeBuilder,
  now: Date,
): void {
  const row = newRow(received);
  const subject = {
    requestId: row.request_id,
    keyId: row.key_id,
    taskName: row.task_name,
    correlationId: row.correlation_id,
    attempts: 0,
    trace: received.trace,
  };
  switch (decision.kind) {
    case 'pending':
      writes.rows.push({ ...row, status: 'pending' });
      return;
    case 'duplicate': {
      const { original } = decision;
      // A repeat of a completed request is answered now; one of a request still under way, when that one ends.
      const answered = original.status === 'completed';
      writes.rows.push({
        ...row,
        status: 'duplicate',
        duplicate_of: original.id,
        finished: answered,
        provider_task_id: answered ? original.providerTaskId : null,
      });
      if (answered) {
        const duplicateOf = { requestId: original.requestId, newKeyId: original.providerTaskId };
        writes.events.push(outcomes.completed(subject, { newKeyId: original.providerTaskId!, resolvedByLookup: false, duplicateOf }, now));
      }
      return;
    }
    case 'conflict': {
      const { original, failure } = decision;
      writes.rows.push({ ...row, ...failedColumns(failure), duplicate_of: original.id });
      writes.events.push(outcomes.failed(subject, failure, now, { requestId: original.requestId, newKeyId: original.providerTaskId }));
      return;
    }
    case 'invalid':
      writes.rows.push({ ...row, ...failedColumns(decision.failure) });
      writes.events.push(outcomes.failed(subject, decision.failure, now));
      if (decision.alsoDeadLetter) {
        writes.deadLetters.push({
          message: received.message,
          reason: 'no_usable_key_id',
          error: decision.failure.message,
          trace: received.trace,
        });
      }
      return;
  }
}

/** The row of a received request as a new pending request (resend_request columns). */
export function newRow(received: ReceivedRequest): NewRequestRow {
  const { parsed, message } = received;
  return {
    id: received.rowId,
    request_id: received.requestId,
    key_id: received.keyId,
    task_name: parsed.ok ? parsed.body.taskName : parsed.taskName,
    correlation_id: parsed.correlationId,
    status: 'pending',
    payload: received.payload,
    provider_body: parsed.ok ? parsed.body : null,
    body_fingerprint: received.fingerprint,
    provider_task_id: null,
    duplicate_of: null,
    error_code: null,
    error_message: null,
    error_category: null,
    finished: false,
    kafka_topic: message.topic,
    kafka_partition: message.partition,
    kafka_offset: message.offset,
    kafka_record_fingerprint: message.fingerprint,
    trace_parent: received.trace?.traceParent ?? null,
    trace_state: received.trace?.traceState ?? null,
  };
}

/** The columns of a request refused at intake: failed, and finished with its failure. */
export function failedColumns(failure: { code: string; message: string; category: string }) {
  return {
    status: 'failed' as const,
    error_code: failure.code,
    error_message: failure.message,
    error_category: failure.category,
    finished: true,
  };
}
