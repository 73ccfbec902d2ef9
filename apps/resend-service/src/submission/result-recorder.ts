import { Injectable } from '@nestjs/common';
import type { TraceContextText } from '#common';
import type { SqlTransaction } from '#sql';
import { OutboxWriter, withIds, type OutboxMessage } from '#outbox';
import type { ErrorCategory } from '#contracts';
import { classifyDatabaseError } from '../database/database-errors.js';
import { Sql } from '../database/sql.js';
import { FlowMetrics } from '../metrics/flow-metrics.js';
import { FlowProgress } from '../requests/flow-progress.js';
import { OutcomeEvents } from '../outcome/outcome-events.js';
import type { AttemptRecord } from './attempt-record.js';
import type { ClaimedRequest } from './claimed-request.js';
import type { NextStep } from './next-step.js';
import { AcceptedCalls, changeOf } from './row-changes.js';
import {
  answerRepeats,
  finishRequests,
  finishRequestsAndReport,
  type AcceptedRow,
  type AnsweredRepeatRow,
  type FinishedRow,
} from './submission.sql.js';

/** A step that changes the request's row: it ends, goes back to pending, or stays in progress awaiting a lookup. */
export type RecordedStep = Extract<NextStep, { kind: 'complete' | 'fail' | 'retry' | 'look_up_before_failing' }>;

export interface FinishedCall {
  request: ClaimedRequest;
  step: RecordedStep;
  /** The attempt row to complete with it. */
  attempt?: AttemptRecord;
  /** The context of the span that made the call (`resend.submit`): the outcome event belongs to it. */
  trace?: TraceContextText | null;
}

interface Waiting {
  call: FinishedCall;
  resolve: (accepted: boolean) => void;
  reject: (error: unknown) => void;
}

/** More than this many results wait for the next transaction: one statement's JSON stays small. */
const MAX_GROUP = 256;
/**
 * Publish-on-commit for a group of up to this many outcome events. Calls that finish one by one
 * (no backlog) get their events to Kafka one hop sooner; bigger groups mean a backlog, and the
 * relay's batches publish them with less work per event (docs/performance.md, "Publish-on-commit
 * only for small groups").
 */
const MAX_EVENTS_PUBLISHED_ON_COMMIT = 4;
/**
 * A deadlock with an intake transaction (which locks live requests in keyId order while this
 * updates them in another) or a serialization failure: written again at once, a few times.
 */
const MAX_CONFLICT_RETRIES = 5;

/**
 * Records what calls ended with. Results that arrive while a transaction is being written are
 * grouped into the next one ("group commit"): one transaction — new states, attempt rows and
 * outcome events — for every call that finished meanwhile, in one round trip. A request that
 * repeats wait for takes a second transaction, which answers them with it.
 */
@Injectable()
export class ResultRecorder {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly sql: Sql,
    private readonly outbox: OutboxWriter,
    private readonly outcomes: OutcomeEvents,
    private readonly metrics: FlowMetrics,
    private readonly progress: FlowProgress,
  ) {}

  /** Resolves true once committed, false when the lease was lost (nothing of this call is written then). */
  record(call: FinishedCall): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      if (!this.writing) void this.writeWhileWaiting();
    });
  }

  private async writeWhileWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, MAX_GROUP);
      try {
        const calls = group.map((waiting) => waiting.call);
        const { accepted, events } = await this.progress.submission.attempt(() => this.writeGroup(calls));
        this.count(
          calls.filter((call) => accepted.has(call)),
          events,
        );
        group.forEach((waiting) => waiting.resolve(accepted.has(waiting.call)));
      } catch (error) {
        // Not blamed on the calls: each request keeps its lease and is resumed (looked up) once it expires.
        this.metrics.databaseFailed('submission', classifyDatabaseError(error));
        group.forEach((waiting) => waiting.reject(error));
      }
    }
    this.writing = false;
  }

  /**
   * The usual group in one round trip (finishAndReport). Calls it did not accept — a lease lost,
   * or an end that repeats wait for — are written again the long way (finishAndAnswerRepeats).
   */
  private async writeGroup(calls: FinishedCall[]): Promise<Written> {
    const reported = await retryingConflicts(() => this.finishAndReport(calls));
    const rest = calls.filter((call) => !reported.accepted.has(call));
    if (rest.length === 0) return reported;
    const answered = await retryingConflicts(() => this.sql.transaction((transaction) => this.finishAndAnswerRepeats(transaction, rest)));
    return { accepted: reported.accepted.and(answered.accepted), events: [...reported.events, ...answered.events] };
  }

  /**
   * New states, attempt rows and outcome events in one statement, sent with BEGIN and COMMIT:
   * nothing is read before it. Events are built for every call that ends; the statement writes
   * only those of the calls it accepted. A few events are published from here after the COMMIT
   * when the outbox lets it (publish-on-commit, OutboxWriter): the outbox's after-commit step.
   */
  private async finishAndReport(calls: FinishedCall[]): Promise<Written> {
    const now = new Date();
    const ending = calls.filter(endsRequest);
    const events = withIds(ending.map((call) => this.outcomeOf(call, now)));
    const eventIds = new Map(ending.map((call, index) => [call, events[index]!.id]));
    const publishOnCommit = events.length <= MAX_EVENTS_PUBLISHED_ON_COMMIT;
    // Wrapped: the rows come with the COMMIT's answer, which must not be awaited inside the transaction.
    const { sent: finished, written } = await this.sql.transaction(async (transaction) =>
      this.outbox.addInStatement(transaction, events, { publishOnCommit }, (outboxParameters) =>
        transaction.sendForRows<AcceptedRow>(finishRequestsAndReport, [
          JSON.stringify(calls.map((call) => changeOf(call, eventIds.get(call) ?? null))),
          ...outboxParameters,
        ]),
      ),
    );
    const accepted = AcceptedCalls.of(await finished.read());
    const reported = events.filter((_, index) => accepted.has(ending[index]!));
    await written.afterCommit(reported.map((event) => event.id));
    return { accepted, events: reported };
  }

  /** The long way, for requests whose repeats are answered with them: their new state is read back first. */
  private async finishAndAnswerRepeats(transaction: SqlTransaction, calls: FinishedCall[]): Promise<Written> {
    const rows = await transaction.query<FinishedRow>(finishRequests, [JSON.stringify(calls.map((call) => changeOf(call, null)))]);
    const accepted = AcceptedCalls.of(rows);
    const repeated = new Set(rows.filter((row) => row.has_repeats).map((row) => row.id));
    const ended = calls.filter((call) => accepted.has(call) && endsRequest(call));
    const now = new Date();
    const events = ended.map((call) => this.outcomeOf(call, now));
    const endedWithRepeats = ended.filter((call) => repeated.has(call.request.id));
    if (endedWithRepeats.length > 0) {
      const repeats = await transaction.query<AnsweredRepeatRow>(answerRepeats, [endedWithRepeats.map((call) => call.request.id)]);
      events.push(...repeats.map((repeat) => this.answerOf(repeat, now)));
    }
    this.outbox.add(transaction, events);
    return { accepted, events };
  }

  /** After the commit: outcomes written and retries scheduled, for the metrics (the calls accepted, not their requests). */
  private count(accepted: FinishedCall[], events: OutboxMessage[]): void {
    this.metrics.outcomesWritten(events);
    this.metrics.retryScheduled(accepted.filter((call) => call.step.kind === 'retry').length);
  }

  private outcomeOf({ request, step, trace }: FinishedCall, now: Date): OutboxMessage {
    const subject = {
      requestId: request.requestId,
      keyId: request.keyId,
      taskName: request.taskName,
      correlationId: request.correlationId,
      attempts: request.attempts,
      trace: trace ?? storedTrace(request.traceParent, request.traceState),
    };
    if (step.kind === 'complete') {
      return this.outcomes.completed(subject, { newKeyId: step.taskId, resolvedByLookup: step.resolvedByLookup }, now);
    }
    return this.outcomes.failed(subject, (step as Extract<RecordedStep, { kind: 'fail' }>).failure, now);
  }

  /** A repeat takes its original's result, naming the original; it made no call of its own. */
  private answerOf(repeat: AnsweredRepeatRow, now: Date): OutboxMessage {
    const subject = {
      requestId: repeat.request_id,
      keyId: Number(repeat.key_id),
      taskName: repeat.task_name,
      correlationId: repeat.correlation_id,
      attempts: 0,
      trace: storedTrace(repeat.trace_parent, repeat.trace_state),
    };
    const newKeyId = repeat.provider_task_id === null ? null : Number(repeat.provider_task_id);
    const duplicateOf = { requestId: repeat.original_request_id, newKeyId };
    if (repeat.original_status === 'completed') {
      return this.outcomes.completed(subject, { newKeyId: newKeyId!, resolvedByLookup: false, duplicateOf }, now);
    }
    const failure = { code: repeat.error_code!, message: repeat.error_message!, category: repeat.error_category as ErrorCategory };
    return this.outcomes.failed(subject, failure, now, duplicateOf);
  }
}

interface Written {
  /** The calls whose change was made (their lease held). */
  accepted: AcceptedCalls;
  events: OutboxMessage[];
}

function endsRequest({ step }: FinishedCall): boolean {
  return step.kind === 'complete' || step.kind === 'fail';
}

/** Runs `write` again at once after a conflict, a few times. */
async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let conflicts = 0; ; conflicts += 1) {
    try {
      return await write();
    } catch (error) {
      if (conflicts >= MAX_CONFLICT_RETRIES || classifyDatabaseError(error) !== 'conflict') throw error;
    }
  }
}

/** A context stored at intake, as it was written there (by our own tracer, or passed on from the message). */
function storedTrace(traceParent: string | null, traceState: string | null): TraceContextText | null {
  return traceParent ? { traceParent, traceState } : null;
}
