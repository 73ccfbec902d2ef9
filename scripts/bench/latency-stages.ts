import type pg from 'pg';
import { percentile } from './statistics.js';

/** Where a paced request's time went, by the database's own timestamps (medians, ms). */
export interface LatencyStages {
  /** Appended to the request topic → its row committed by intake (received_at). */
  intake: number;
  /** Row recorded → its first provider call claimed (the attempt's started_at). */
  claim: number;
  /** Claimed → the result recorded (the outcome's outbox row, created in the result's transaction). */
  callAndResult: number;
  /** Outbox row written → marked published (after Kafka acknowledged the outcome). */
  relay: number;
}

/** One row per request with the moments of its stages, in epoch ms. */
const STAGE_TIMES = `
  SELECT r.request_id,
         extract(epoch FROM r.received_at) * 1000 AS received_ms,
         extract(epoch FROM a.started_at) * 1000  AS claimed_ms,
         extract(epoch FROM o.created_at) * 1000  AS written_ms,
         extract(epoch FROM o.published_at) * 1000 AS published_ms
    FROM resend_request AS r
    JOIN submission_attempt AS a ON a.request_id = r.id AND a.attempt_number = 1
    JOIN outbox_event AS o ON o.request_id = r.request_id
   WHERE r.request_id = ANY($1)`;

interface StageRow {
  request_id: string;
  received_ms: number;
  claimed_ms: number;
  written_ms: number;
  published_ms: number | null;
}

/**
 * The p-th percentile (50: the median) of each stage for the requests appended at `appendedAt`
 * (requestId → broker append time).
 */
export async function latencyStages(observer: pg.Client, appendedAt: Map<string, number>, p = 50): Promise<LatencyStages> {
  const { rows } = await observer.query<StageRow>(STAGE_TIMES, [[...appendedAt.keys()]]);
  const at = (values: number[]) => (values.length === 0 ? NaN : Math.round(percentile(values, p) * 10) / 10);
  return {
    intake: at(rows.map((row) => Number(row.received_ms) - appendedAt.get(row.request_id)!)),
    claim: at(rows.map((row) => Number(row.claimed_ms) - Number(row.received_ms))),
    callAndResult: at(rows.map((row) => Number(row.written_ms) - Number(row.claimed_ms))),
    relay: at(rows.filter((row) => row.published_ms !== null).map((row) => Number(row.published_ms) - Number(row.written_ms))),
  };
}
