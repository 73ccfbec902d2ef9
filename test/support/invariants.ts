import { appendFileSync, mkdirSync } from 'node:fs';
import type { TestDatabase } from './database.js';
import type { KafkaTestClient } from './kafka-test-client.js';
import type { SimulatorControl } from '../../apps/itniotech-simulator/src/simulator-control.js';
import { waitFor } from './wait-for.js';
import { TOPICS } from './e2e-context.js';

/** `FAULT_SUITE=long` (scripts/fault-suite.sh) runs the long versions of the scenarios. */
export const LONG_RUN = process.env.FAULT_SUITE === 'long';

export function suiteSize(short: number, long: number): number {
  return LONG_RUN ? long : short;
}

export interface SentRequest {
  requestId: string;
  keyId: number;
}

export interface InvariantReport {
  requests: number;
  /** Requests without a terminal row (a repeat is terminal once answered), or without an outcome event. */
  lost: string[];
  /** Provider tasks beyond one per completed keyId, plus any task for a keyId with no completed request. */
  duplicateTasks: number;
  /** Requests whose outcome was published under more than one ce_id. */
  duplicateEventIds: string[];
  byStatus: Record<string, number>;
}

const TERMINAL = ['completed', 'failed', 'duplicate'];

/**
 * The promise of the service, checked from the outside: every request terminal in Postgres,
 * exactly one outcome event id per request (copies allowed, with the same ce_id), exactly one
 * provider task per completed keyId and none for keyIds that never completed.
 */
export async function checkInvariants(
  sent: SentRequest[],
  parts: { db: TestDatabase; kafka: KafkaTestClient; simulator: SimulatorControl },
): Promise<InvariantReport> {
  const requestIds = sent.map((request) => request.requestId);
  const rows = await parts.db.rows<{ request_id: string; key_id: string | null; status: string; answered: boolean }>(
    `SELECT request_id, key_id, status, finished_at IS NOT NULL AS answered FROM resend_request WHERE request_id = ANY($1)`,
    [requestIds],
  );
  const rowByRequestId = new Map(rows.map((row) => [row.request_id, row]));
  const eventIds = outcomeEventIds(parts.kafka);
  const lost = requestIds.filter((requestId) => {
    const row = rowByRequestId.get(requestId);
    if (!row || !TERMINAL.includes(row.status) || !row.answered) return true;
    return !eventIds.has(requestId);
  });
  const duplicateEventIds = [...eventIds].filter(([, ids]) => ids.size > 1).map(([requestId]) => requestId);
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  return {
    requests: sent.length,
    lost,
    duplicateTasks: await countDuplicateTasks(sent, parts),
    duplicateEventIds,
    byStatus,
  };
}

/** Waits until every request is terminal in Postgres and has its outcome event on Kafka (or the deadline). */
export async function waitUntilSettled(
  sent: SentRequest[],
  parts: { db: TestDatabase; kafka: KafkaTestClient; simulator: SimulatorControl },
  timeoutMs = 120_000,
): Promise<InvariantReport> {
  let report: InvariantReport | undefined;
  try {
    await waitFor(
      `${sent.length} requests to settle`,
      async () => {
        report = await checkInvariants(sent, parts);
        return report.lost.length === 0;
      },
      timeoutMs,
      500,
    );
  } catch {
    // The report with what is still missing is more useful than the timeout: return it.
  }
  return report ?? checkInvariants(sent, parts);
}

function outcomeEventIds(kafka: KafkaTestClient): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  for (const message of kafka.received) {
    if (message.topic !== TOPICS.completed && message.topic !== TOPICS.failed) continue;
    const requestId = message.json?.requestId;
    if (typeof requestId !== 'string') continue;
    const set = ids.get(requestId) ?? new Set<string>();
    set.add(message.headers.ce_id ?? '');
    ids.set(requestId, set);
  }
  return ids;
}

async function countDuplicateTasks(sent: SentRequest[], parts: { db: TestDatabase; simulator: SimulatorControl }): Promise<number> {
  const keyIds = [...new Set(sent.map((request) => request.keyId))];
  const completed = await parts.db.rows<{ key_id: string; completed: string }>(
    `SELECT key_id, count(*) AS completed FROM resend_request
      WHERE key_id = ANY($1) AND status = 'completed' GROUP BY key_id`,
    [keyIds],
  );
  const completedKeyIds = new Map(completed.map((row) => [Number(row.key_id), Number(row.completed)]));
  const wanted = new Set(keyIds);
  const tasksByKeyId = new Map<number, number>();
  for (const task of (await parts.simulator.ledger()).tasks) {
    if (wanted.has(task.keyId)) tasksByKeyId.set(task.keyId, (tasksByKeyId.get(task.keyId) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const [keyId, tasks] of tasksByKeyId) {
    // A keyId may legitimately be completed more than once only after an earlier request failed.
    duplicates += Math.max(0, tasks - (completedKeyIds.get(keyId) ?? 0));
  }
  return duplicates;
}

export interface ScenarioRow {
  scenario: string;
  requests: number;
  faults: string;
  lost: number;
  duplicateTasks: number;
  duplicateEventIds: number;
  seconds: number;
}

/** Appends one line to the fault-injection table (.run/fault-suite.jsonl) printed by scripts/fault-suite.sh. */
export function recordScenario(scenario: string, faults: string, report: InvariantReport, startedAt: number): void {
  const row: ScenarioRow = {
    scenario,
    requests: report.requests,
    faults,
    lost: report.lost.length,
    duplicateTasks: report.duplicateTasks,
    duplicateEventIds: report.duplicateEventIds.length,
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
  mkdirSync('.run', { recursive: true });
  appendFileSync('.run/fault-suite.jsonl', `${JSON.stringify(row)}\n`);
}
