import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageTimes } from './latency-stages.js';

/** One paced request: when the broker appended it, and each later moment in ms after that. */
export interface LatencyRecord {
  requestId: string;
  appendedAt: number;
  latencyMs: number;
  /** The service only, from its rows (see StageTimes); absent for the naive relay. */
  afterAppendMs?: { recorded: number; claimed: number; callRecorded: number | null; written: number; published: number | null };
  callMs?: number | null;
}

export function latencyRecords(
  appendedAt: Map<string, number>,
  outcomeAt: (requestId: string) => number,
  stages: StageTimes[] = [],
): LatencyRecord[] {
  const stagesById = new Map(stages.map((row) => [row.request_id, row]));
  return [...appendedAt].map(([requestId, appended]) => {
    const row = stagesById.get(requestId);
    const after = (moment: number | null) => (moment === null ? null : Math.round((moment - appended) * 10) / 10);
    return {
      requestId,
      appendedAt: appended,
      latencyMs: outcomeAt(requestId) - appended,
      ...(row && {
        afterAppendMs: {
          recorded: after(row.received_ms)!,
          claimed: after(row.claimed_ms)!,
          callRecorded: after(row.call_recorded_ms),
          written: after(row.written_ms)!,
          published: after(row.published_ms),
        },
        callMs: row.call_ms,
      }),
    };
  });
}

/** Writes `<folder>/<arm>.jsonl`, one record a line, in the order the requests were sent. */
export function writeLatencyDump(folder: string, arm: string, records: LatencyRecord[]): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${arm}.jsonl`);
  writeFileSync(file, records.map((record) => JSON.stringify(record)).join('\n') + '\n');
  return file;
}
