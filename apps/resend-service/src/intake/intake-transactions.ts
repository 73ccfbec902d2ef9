import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '#sql';
import { OutboxWriter, type OutboxMessage } from '#outbox';
import { Sql } from '../database/sql.js';
import { OutcomeEvents } from '../outcome/outcome-events.js';
import { IntakeClaims } from '../submission/intake-claims.js';
import { DeadLetters, type DeadLetterEntry } from './dead-letters.js';
import {
  decideIntake,
  requestIdAtPosition,
  requestIdsToLookUp,
  type IntakeDecision,
  type LiveRequest,
  type RecordedBefore,
} from './intake-decision.js';
import { newRow, writesFor } from './intake-writes.js';
import { insertNewRequests, insertRequests, selectRecordedAndLockLive, type RecordedAndLiveRow } from './intake.sql.js';
import type { ReceivedMessage, ReceivedRequest } from './received-message.js';
import { RecordSpans } from './record-spans.js';

/** What one batch's transaction wrote, once it has committed. */
export interface RecordedBatch {
  /** The messages it recorded, and the decision for each. */
  messages: ReceivedMessage[];
  decisions: IntakeDecision[];
  events: OutboxMessage[];
  deadLettered: number;
  /** New pending requests left for the worker to claim (no free call slot for them). */
  unclaimed: number;
}

/**
 * The transactions that record a batch, one try each (IntakeService retries them). New requests
 * the worker has free call slots for are claimed in the transaction that records them, and their
 * calls start once it commits (IntakeClaims).
 */
@Injectable()
export class IntakeTransactions {
  constructor(
    private readonly sql: Sql,
    private readonly claims: IntakeClaims,
    private readonly deadLetters: DeadLetters,
    private readonly outbox: OutboxWriter,
    private readonly outcomes: OutcomeEvents,
    private readonly spans: RecordSpans,
  ) {}

  /**
   * The common case in one round trip: valid requests with their own requestIds and keyIds
   * (freshRequests) inserted as new and claimed, BEGIN and COMMIT in the same write, without
   * reading first; the unique indexes turn away what was recorded before or repeats a live keyId
   * (insertNewRequests). Records only the requests the insert took.
   */
  async recordNew(requests: ReceivedRequest[]): Promise<RecordedBatch> {
    const rows = requests.map((received) => newRow(received));
    const claim = this.claims.open();
    try {
      const inserting = await this.sql.transaction(async (transaction) => {
        const inserting = transaction.sendForRows<{ id: string }>(insertNewRequests, [JSON.stringify(rows)]);
        // Claims by id: a row the insert turned away is not there to be claimed.
        claim.claimIn(transaction, rows);
        return inserting;
      });
      // Committed: the claimed requests' calls may start.
      const claimed = await claim.startCalls();
      const insertedIds = new Set((await inserting.read()).map((row) => row.id));
      const recorded = requests.filter((received) => insertedIds.has(received.rowId));
      const decisions: IntakeDecision[] = recorded.map(() => ({ kind: 'pending' }));
      return { messages: recorded, decisions, events: [], deadLettered: 0, unclaimed: recorded.length - claimed };
    } finally {
      claim.release();
    }
  }

  /** Reads what the batch meets in the database, decides every message, and writes the decisions. */
  async recordDeciding(batch: ReceivedMessage[]): Promise<RecordedBatch> {
    const claim = this.claims.open();
    try {
      const recorded = await this.sql.transaction(async (transaction) => {
        const requests = batch.filter((received): received is ReceivedRequest => received.kind === 'request');
        const { recorded, live } = await this.readAndLock(transaction, requests);
        this.nameByPosition(requests, recorded);
        const decisions = decideIntake(batch, recorded, live);
        const writes = writesFor(batch, decisions, this.outcomes, new Date());
        // Sent without waiting: the COMMIT goes with them. A row a concurrent intake recorded first
        // fails the insert on a unique index — a conflict: the batch is recorded again and sees it.
        if (writes.rows.length > 0) transaction.send(insertRequests, [JSON.stringify(writes.rows)]);
        const pending = writes.rows.filter((row) => row.status === 'pending');
        const claimed = claim.claimIn(transaction, pending);
        const deadLettered = await this.deadLetters.record(transaction, writes.deadLetters);
        this.outbox.add(transaction, writes.events);
        return { messages: batch, decisions, events: writes.events, deadLettered, unclaimed: pending.length - claimed };
      });
      // Committed: the claimed requests' calls may start.
      await claim.startCalls();
      return recorded;
    } finally {
      claim.release();
    }
  }

  /** Keeps one message the database refused as a dead letter, alone in its transaction. Returns how many were new. */
  deadLetter(entry: DeadLetterEntry): Promise<number> {
    return this.sql.transaction((transaction) => this.deadLetters.record(transaction, [entry]));
  }

  /** What was recorded before, and the live requests of the batch's keyIds (locked): one round trip. */
  private async readAndLock(
    transaction: SqlExecutor,
    requests: ReceivedRequest[],
  ): Promise<{ recorded: RecordedBefore; live: Map<number, LiveRequest> }> {
    if (requests.length === 0) return { recorded: { requestIds: new Map() }, live: new Map() };
    const keyIds = [...new Set(requests.filter((request) => request.parsed.ok).map((request) => request.keyId!))];
    const [found] = await transaction.query<RecordedAndLiveRow>(selectRecordedAndLockLive, [requestIdsToLookUp(requests), keyIds]);
    const { recorded, live } = found!; // two aggregates: always exactly one row
    return {
      recorded: { requestIds: new Map(recorded.map((row) => [row.request_id, row.kafka_record_fingerprint])) },
      live: new Map(
        live.map((row) => [
          Number(row.key_id),
          {
            id: row.id,
            requestId: row.request_id,
            keyId: Number(row.key_id),
            status: row.status,
            fingerprint: row.body_fingerprint,
            providerTaskId: row.provider_task_id === null ? null : Number(row.provider_task_id),
          },
        ]),
      ),
    };
  }

  /**
   * A request without requestId is named by its position, unless a different record was recorded
   * under that name (the topic was deleted and created again): then by its position and record.
   */
  private nameByPosition(requests: ReceivedRequest[], recorded: RecordedBefore): void {
    for (const received of requests) {
      const requestId = requestIdAtPosition(received, recorded);
      if (requestId === received.requestId) continue;
      received.requestId = requestId;
      this.spans.renamed(received, requestId);
    }
  }
}
