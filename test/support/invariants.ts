import { appendFileSync, mkdirSync } from 'node:fs';
import type { TestDatabase } from './database.js';
import type { KafkaTestClient } from './kafka-test-client.js';
import type { CallAnswer } from '../../apps/itniotech-simulator/src/call-journal.js';
import type { SimulatorControl } from '../../apps/itniotech-simulator/src/simulator-control.js';
import { waitFor } from './wait-for.js';
import { TOPICS } from './e2e-context.js';

/** `FAULT_SUITE=long` (scripts/fault-suite.sh) runs the long versions of the scenarios. */
export const LONG_RUN = process.env.FAULT_SUITE === 'long';

export function suiteSize(short: number, long: number): number {
  return LONG_RUN ? long : short;
}

/**
 * Whether the simulator of the crash and chaos scenarios (test/faults/crash-recovery.e2e-spec.ts,
 * test/faults/outages.e2e-spec.ts, test/faults/membership-changes.e2e-spec.ts) refuses a repeated task name
 * with -41, as the provider documents.
 * Off, a second call that gets through creates a second task, which the invariants count as a
 * duplicate task; on, the -41 hides it (then counted in `resendCallsAnsweredTaskExists`).
 * `FAULT_SUITE_UNIQUE_TASK_NAMES=true|false`; unset: off in the short runs (`npm test`), on in
 * the long ones (scripts/fault-suite.sh runs the long ones both ways, setting the variable).
 */
export const FAULT_SUITE_UNIQUE_TASK_NAMES = readUniqueTaskNames(process.env.FAULT_SUITE_UNIQUE_TASK_NAMES);

function readUniqueTaskNames(value: string | undefined): boolean {
  if (value === undefined || value === '') return LONG_RUN;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`FAULT_SUITE_UNIQUE_TASK_NAMES must be true or false, got "${value}"`);
}

export interface SentRequest {
  requestId: string;
  keyId: number;
}

export interface InvariantReport {
  requests: number;
  /** Requests without a terminal row (a repeat is terminal once answered), or without an outcome event. */
  lost: string[];
  /**
   * Provider tasks beyond one per completed keyId, plus any task for a keyId with no completed
   * request. A real count of second tasks only when the simulator creates a task for a repeated
   * name (`uniqueTaskNames` off); otherwise a second call is refused with -41 (below).
   */
  duplicateTasks: number;
  /** Requests whose outcome was published under more than one ce_id. */
  duplicateEventIds: string[];
  byStatus: Record<string, number>;
  /** Whether the simulator refused repeated task names (-41) during the scenario. */
  uniqueTaskNames: boolean;
  /**
   * Requests whose task name received a resend call after an earlier resend call of that name
   * that may have created the task — answered "0" or -41, dropped, answered with an HTTP error or
   * unreadable text, or never answered — from the simulator's call journal. A retry after a
   * provider refusal (-16, -18, -37: nothing created, and the service was told so) is not one.
   * Named by the first request sent with that task name.
   */
  secondResendCalls: string[];
  /**
   * Of `secondResendCalls`, the requests that had no unknown outcome in PostgreSQL: no resend call
   * that timed out, broke, got an HTTP error or was cut short by a crash (`in_flight`), no unknown
   * outcome recorded, not resolved by a lookup. The service promises none: it calls again only
   * after an unknown outcome, and then only after a lookup found nothing.
   */
  secondResendCallsWithoutUnknownOutcome: string[];
  /** Resend calls of these requests' task names the simulator refused with -41 (a task of the name existed), late processing included. */
  resendCallsAnsweredTaskExists: number;
}

const RESEND_PATH = '/voice/group/call/resend/ai';

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
  const { rows, lost } = await findLost(sent, parts);
  const eventIds = outcomeEventIds(parts.kafka);
  const duplicateEventIds = [...eventIds].filter(([, ids]) => ids.size > 1).map(([requestId]) => requestId);
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  return {
    requests: sent.length,
    lost,
    duplicateTasks: await countDuplicateTasks(sent, parts),
    duplicateEventIds,
    byStatus,
    uniqueTaskNames: (await parts.simulator.settings()).uniqueTaskNames,
    ...(await countSecondCalls(sent, rows, parts)),
  };
}

interface RequestRow {
  request_id: string;
  status: string;
  answered: boolean;
  task_name: string | null;
}

/** The requests' rows, and those not terminal or without an outcome event. */
async function findLost(
  sent: SentRequest[],
  parts: { db: TestDatabase; kafka: KafkaTestClient },
): Promise<{ rows: RequestRow[]; lost: string[] }> {
  const requestIds = sent.map((request) => request.requestId);
  const rows = await parts.db.rows<RequestRow>(
    `SELECT request_id, status, finished_at IS NOT NULL AS answered, task_name FROM resend_request WHERE request_id = ANY($1)`,
    [requestIds],
  );
  const rowByRequestId = new Map(rows.map((row) => [row.request_id, row]));
  const eventIds = outcomeEventIds(parts.kafka);
  const lost = requestIds.filter((requestId) => {
    const row = rowByRequestId.get(requestId);
    if (!row || !TERMINAL.includes(row.status) || !row.answered) return true;
    return !eventIds.has(requestId);
  });
  return { rows, lost };
}

/**
 * Second resend calls, from the simulator's call journal: per task name, the calls in the order
 * received; a call after one that may have created the task makes the name's request count.
 */
async function countSecondCalls(
  sent: SentRequest[],
  rows: RequestRow[],
  parts: { db: TestDatabase; simulator: SimulatorControl },
): Promise<Pick<InvariantReport, 'secondResendCalls' | 'secondResendCallsWithoutUnknownOutcome' | 'resendCallsAnsweredTaskExists'>> {
  const order = new Map(sent.map((request, index) => [request.requestId, index]));
  const requestByName = new Map<string, string>();
  for (const row of [...rows].sort((a, b) => order.get(a.request_id)! - order.get(b.request_id)!)) {
    if (row.task_name !== null && !requestByName.has(row.task_name)) requestByName.set(row.task_name, row.request_id);
  }
  const journal = await parts.simulator.calls();
  if (journal.calls.length < journal.total) {
    // Forgotten calls could hide a second call: no count rather than a wrong one.
    throw new Error(
      `the simulator's call journal kept ${journal.calls.length} of ${journal.total} calls: raise its callHistoryLimit to check second calls`,
    );
  }
  const mayHaveCreated = new Set<string>();
  const second = new Set<string>();
  let answeredTaskExists = 0;
  for (const call of journal.calls) {
    if (call.path !== RESEND_PATH || typeof call.taskName !== 'string' || !requestByName.has(call.taskName)) continue;
    const requestId = requestByName.get(call.taskName)!;
    if (mayHaveCreated.has(call.taskName)) second.add(requestId);
    const answers = [call.answer, call.processedAfterDrop?.answer];
    answeredTaskExists += answers.filter((answer) => answer?.kind === 'answered' && answer.status === '-41').length;
    if (!refusedByProvider(call.answer)) mayHaveCreated.add(call.taskName);
  }
  const secondResendCalls = [...second];
  const unknown = await parts.db.rows<{ request_id: string }>(
    `SELECT r.request_id FROM resend_request r
      WHERE r.request_id = ANY($1)
        AND (r.had_unknown_outcome OR r.resolved_by_lookup OR EXISTS (
              SELECT 1 FROM submission_attempt a
               WHERE a.request_id = r.id AND a.kind = 'submit' AND a.outcome IN ('in_flight', 'transport_error', 'http_error')))`,
    [secondResendCalls],
  );
  const hadUnknownOutcome = new Set(unknown.map((row) => row.request_id));
  return {
    secondResendCalls,
    secondResendCallsWithoutUnknownOutcome: secondResendCalls.filter((requestId) => !hadUnknownOutcome.has(requestId)),
    resendCallsAnsweredTaskExists: answeredTaskExists,
  };
}

/** Answered HTTP 200 with a provider status other than success or "name exists": the provider created nothing, and said so. */
function refusedByProvider(answer: CallAnswer | null): boolean {
  if (answer?.kind !== 'answered' || answer.httpStatus !== 200 || answer.status === undefined) return false;
  return answer.status !== '0' && answer.status !== '-41';
}

/** Waits until every request is terminal in Postgres and has its outcome event on Kafka (or the deadline). */
export async function waitUntilSettled(
  sent: SentRequest[],
  parts: { db: TestDatabase; kafka: KafkaTestClient; simulator: SimulatorControl },
  timeoutMs = 120_000,
): Promise<InvariantReport> {
  try {
    // Polls the cheap part; the whole report (the simulator's ledger and call journal) once.
    await waitFor(`${sent.length} requests to settle`, async () => (await findLost(sent, parts)).lost.length === 0, timeoutMs, 500);
  } catch {
    // The report with what is still missing is more useful than the timeout: return it.
  }
  return checkInvariants(sent, parts);
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
  secondResendCalls: number;
  resendCallsAnsweredTaskExists: number;
  uniqueTaskNames: boolean;
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
    secondResendCalls: report.secondResendCalls.length,
    resendCallsAnsweredTaskExists: report.resendCallsAnsweredTaskExists,
    uniqueTaskNames: report.uniqueTaskNames,
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
  mkdirSync('.run', { recursive: true });
  appendFileSync('.run/fault-suite.jsonl', `${JSON.stringify(row)}\n`);
}
