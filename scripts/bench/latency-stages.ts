import type pg from 'pg';
import { percentile } from './statistics.js';

/** Where a paced request's time went, by the database's own timestamps (medians, ms). */
export interface LatencyStages {
  /** Appended to the request topic → its row committed by intake (received_at). */
  intake: number;
  /**
   * Row recorded → its first provider call claimed (the attempt's started_at); 0 for a request
   * intake claimed in its own transaction, whose attempt row is dated at that transaction's start.
   */
  claim: number;
  /** Recorded and claimed → the result recorded (the outcome's outbox row, created in the result's transaction). */
  callAndResult: number;
  /** Outbox row written → marked published (after Kafka acknowledged the outcome). */
  relay: number;
}

/** One row per request with the moments of its stages, in epoch ms. */
const STAGE_TIMES = `
  SELECT r.request_id,
         extract(epoch FROM r.received_at) * 1000  AS received_ms,
         extract(epoch FROM a.started_at) * 1000   AS claimed_ms,
         a.latency_ms                              AS call_ms,
         extract(epoch FROM a.finished_at) * 1000  AS call_recorded_ms,
         extract(epoch FROM o.created_at) * 1000   AS written_ms,
         extract(epoch FROM o.published_at) * 1000 AS published_ms
    FROM resend_request AS r
    JOIN submission_attempt AS a ON a.request_id = r.id AND a.attempt_number = 1
    JOIN outbox_event AS o ON o.request_id = r.request_id
   WHERE r.request_id = ANY($1)`;

/**
 * A request's moments from its rows (epoch ms; PostgreSQL's now() is the start of the transaction
 * that wrote them): recorded by intake, claimed, its provider call's duration, its result's
 * transaction, its outcome published.
 */
export interface StageTimes {
  request_id: string;
  received_ms: number;
  claimed_ms: number;
  call_ms: number | null;
  call_recorded_ms: number | null;
  written_ms: number;
  published_ms: number | null;
}

export async function stageTimes(observer: pg.Client, requestIds: string[]): Promise<StageTimes[]> {
  const { rows } = await observer.query<Record<keyof StageTimes, string | null>>(STAGE_TIMES, [requestIds]);
  const numberOrNull = (value: string | null) => (value === null ? null : Number(value));
  return rows.map((row) => ({
    request_id: row.request_id!,
    received_ms: Number(row.received_ms),
    claimed_ms: Number(row.claimed_ms),
    call_ms: numberOrNull(row.call_ms),
    call_recorded_ms: numberOrNull(row.call_recorded_ms),
    written_ms: Number(row.written_ms),
    published_ms: numberOrNull(row.published_ms),
  }));
}

/** Each stage's duration (ms) for every request appended at `appendedAt` (requestId → broker append time). */
export function stageDurations(rows: StageTimes[], appendedAt: Map<string, number>): Record<keyof LatencyStages, number[]> {
  const claimedMs = (row: StageTimes) => Math.max(row.claimed_ms, row.received_ms);
  return {
    intake: rows.map((row) => row.received_ms - appendedAt.get(row.request_id)!),
    claim: rows.map((row) => claimedMs(row) - row.received_ms),
    callAndResult: rows.map((row) => row.written_ms - claimedMs(row)),
    relay: rows.filter((row) => row.published_ms !== null).map((row) => row.published_ms! - row.written_ms),
  };
}

/** The p-th percentile (50: the median) of each stage, to 0.1 ms. */
export function stagePercentile(durations: Record<keyof LatencyStages, number[]>, p: number): LatencyStages {
  const at = (values: number[]) => (values.length === 0 ? NaN : Math.round(percentile(values, p) * 10) / 10);
  return {
    intake: at(durations.intake),
    claim: at(durations.claim),
    callAndResult: at(durations.callAndResult),
    relay: at(durations.relay),
  };
}
