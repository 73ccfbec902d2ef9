import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import type { RequestStatus } from '../requests/request-status.js';
import { iso } from './iso-time.js';
import { newestFirstPage, type ListFilter } from './newest-first-page.js';
import type { ListRequestsQuery } from './operator-api.schemas.js';
import { findAttempts, findOutcomeEvents, findRequest, requestFilters, requestList } from './operator-api.sql.js';

/** What the operator API reads about requests: the statements of operator-api.sql.ts, their rows mapped explicitly. */
@Injectable()
export class RequestQueries {
  constructor(private readonly sql: Sql) {}

  /** Newest first; the next page starts after the cursor's row. */
  async list(query: ListRequestsQuery) {
    const filters: ListFilter[] = [];
    if (query.keyId !== undefined) filters.push({ ...requestFilters.keyId, value: query.keyId });
    if (query.status !== undefined) filters.push({ ...requestFilters.status, value: query.status });
    const { rows, nextCursor } = await newestFirstPage<RequestRow>(this.sql, requestList, {
      filters,
      cursor: query.cursor,
      limit: query.limit,
    });
    return { items: rows.map(toSummary), nextCursor };
  }

  /** The request with its provider calls and outcome events, or null when no message had this requestId. */
  async find(requestId: string) {
    const [row] = await this.sql.query<RequestDetailRow>(findRequest, [requestId]);
    if (!row) return null;
    const [attempts, events] = await Promise.all([
      this.sql.query<AttemptRow>(findAttempts, [row.id]),
      this.sql.query<OutcomeEventRow>(findOutcomeEvents, [requestId]),
    ]);
    return {
      request: {
        ...toSummary(row),
        errorMessage: row.error_message,
        duplicateOf: row.duplicate_of_request_id,
        resolvedByLookup: row.resolved_by_lookup,
        payload: row.payload,
        providerBody: row.provider_body,
        kafka: { topic: row.kafka_topic, partition: row.kafka_partition, offset: Number(row.kafka_offset) },
        firstAttemptAt: iso(row.first_attempt_at),
        traceParent: row.trace_parent,
      },
      state: {
        status: row.status,
        nextAttemptAt: iso(row.next_attempt_at),
        leaseOwner: row.lease_owner,
        leaseExpiresAt: iso(row.lease_expires_at),
        outcomeUnknown: row.outcome_unknown,
        outcomePublished: events.length === 0 ? null : events.every((event) => event.published_at !== null),
      },
      attempts: attempts.map(toAttempt),
      outcomeEvents: events.map((event) => ({
        id: event.id,
        topic: event.topic,
        createdAt: iso(event.created_at)!,
        publishedAt: iso(event.published_at),
        refusedAt: iso(event.refused_at),
      })),
    };
  }
}

interface RequestRow {
  id: string;
  request_id: string;
  key_id: string | null;
  status: RequestStatus;
  task_name: string | null;
  correlation_id: string | null;
  attempts: number;
  provider_task_id: string | null;
  error_code: string | null;
  error_category: string | null;
  received_at: Date;
  finished_at: Date | null;
}

interface RequestDetailRow extends RequestRow {
  error_message: string | null;
  resolved_by_lookup: boolean;
  payload: Record<string, unknown>;
  provider_body: Record<string, unknown> | null;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  first_attempt_at: Date | null;
  next_attempt_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  outcome_unknown: boolean;
  trace_parent: string | null;
  duplicate_of_request_id: string | null;
}

interface AttemptRow {
  attempt_number: number;
  kind: 'submit' | 'lookup';
  outcome: string;
  started_at: Date;
  finished_at: Date | null;
  http_status: number | null;
  provider_status: string | null;
  provider_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number | null;
  request_body: unknown;
}

interface OutcomeEventRow {
  id: string;
  topic: string;
  created_at: Date;
  published_at: Date | null;
  refused_at: Date | null;
}

function toSummary(row: RequestRow) {
  return {
    requestId: row.request_id,
    keyId: row.key_id === null ? null : Number(row.key_id),
    status: row.status,
    taskName: row.task_name,
    correlationId: row.correlation_id,
    attempts: row.attempts,
    providerTaskId: row.provider_task_id === null ? null : Number(row.provider_task_id),
    errorCode: row.error_code,
    errorCategory: row.error_category,
    receivedAt: iso(row.received_at)!,
    finishedAt: iso(row.finished_at),
  };
}

function toAttempt(row: AttemptRow) {
  return {
    attemptNumber: row.attempt_number,
    kind: row.kind,
    outcome: row.outcome,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    httpStatus: row.http_status,
    providerStatus: row.provider_status,
    providerReason: row.provider_reason,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    latencyMs: row.latency_ms,
    requestBody: row.request_body,
  };
}
