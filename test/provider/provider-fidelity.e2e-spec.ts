import { CLASSIFICATION_TABLE, ItniotechClient, signRequest } from '#itniotech';
import { validateCompletedEvent, validateFailedEvent } from '#contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../apps/itniotech-simulator/src/call-journal.js';
import type { FaultRuleInput } from '../../apps/itniotech-simulator/src/simulator-control.js';
import type { TestDatabase } from '../support/database.js';
import type { KafkaTestClient, ReceivedMessage } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { TEST_API_KEY, TEST_API_SECRET } from '../support/service-harness.js';
import type { RunningSimulator } from '../support/simulator-harness.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

/**
 * Provider fidelity: every line of the classification table, and the unknown-outcome paths,
 * through the whole service: a request published on Kafka, the answer injected by a simulator
 * fault rule matched on the request's keyId, and the outcome checked on Kafka, in Postgres and in
 * the simulator's ledger and call log.
 */

const MAX_ATTEMPTS = 3;
/** The client's deadline for one call; the "timeout" fault answers far later than this. */
const CLIENT_TIMEOUT_MS = 2_000;
/**
 * A lookup that finds nothing is believed this long after the call of unknown outcome began: the
 * shortest settle delay allowed (the timeout). The settle delay itself is checked in
 * lookup-after-unknown-outcome.e2e-spec.ts; here every lookup comes after it (see BACKOFF_MS).
 */
const LOOKUP_SETTLE_MS = CLIENT_TIMEOUT_MS;
/**
 * Every backoff is between 2.2 and 4.4 s (equal jitter over 4.4 s, capped at 4.4 s): two attempts
 * of one request are then always signed in different Unix seconds, so "a fresh timestamp per
 * attempt" is observable with the provider's one-second resolution; and the lookup after a call of
 * unknown outcome, due a backoff after that call ended, always comes after the settle delay: its
 * "not found" is believed, one lookup per call.
 */
const BACKOFF_MS = 4_400;
const RESEND_PATH = '/voice/group/call/resend/ai';
const QUERY_PATH = '/voice/group/call/query';

type Expected =
  | { topic: 'completed' }
  | {
      topic: 'failed';
      code: string;
      category: 'provider_rejected' | 'retries_exhausted';
      attempts: number;
      message: RegExp | string;
      /** The outcome of each call was unknown: every call is followed by a lookup. */
      lookups: boolean;
    };

interface Row {
  name: string;
  /** The table line this row exercises (checked against CLASSIFICATION_TABLE so that none is forgotten). */
  line: string;
  fault?: Omit<FaultRuleInput, 'match'>;
  expected: Expected;
}

const final = (code: string, message: RegExp | string): Expected => ({
  topic: 'failed',
  code,
  category: 'provider_rejected',
  attempts: 1,
  message,
  lookups: false,
});
const exhausted = (code: string, message: RegExp | string, lookups = false): Expected => ({
  topic: 'failed',
  code,
  category: 'retries_exhausted',
  attempts: MAX_ATTEMPTS,
  message,
  lookups,
});

const reasonOf = (code: string) => CLASSIFICATION_TABLE.find((entry) => entry.code === code)!.meaning;
const providerCode = (code: string, handling: 'final' | 'retry'): Row => ({
  name: `status ${code}`,
  line: code,
  fault: { answer: { status: code } },
  expected:
    handling === 'final' ? final(code, reasonOf(code)) : exhausted(code, `gave up after ${MAX_ATTEMPTS} attempts: ${reasonOf(code)}`),
});

const ROWS: Row[] = [
  { name: 'status 0 (no fault)', line: '0', expected: { topic: 'completed' } },
  providerCode('-1', 'final'),
  providerCode('-2', 'final'),
  providerCode('-10', 'final'),
  providerCode('-15', 'retry'),
  providerCode('-16', 'retry'),
  providerCode('-18', 'retry'),
  providerCode('-20', 'final'),
  providerCode('-21', 'final'),
  providerCode('-22', 'final'),
  providerCode('-23', 'final'),
  providerCode('-24', 'final'),
  providerCode('-26', 'final'),
  providerCode('-34', 'final'),
  providerCode('-37', 'retry'), // retry_long: SUBMISSION_LONG_BACKOFF_MS is short in this service
  providerCode('-38', 'final'),
  providerCode('-39', 'final'),
  providerCode('-41', 'final'),
  providerCode('-42', 'final'),
  providerCode('-60', 'final'),
  {
    name: 'unknown status -99 (code and reason kept as given)',
    line: 'any other code',
    fault: { answer: { status: '-99', reason: 'Something the table does not know' } },
    expected: final('-99', 'Something the table does not know'),
  },
  {
    name: 'HTTP 503 from a proxy',
    line: 'HTTP_5xx',
    fault: { httpStatus: 503 },
    expected: exhausted('HTTP_503', /^gave up after 3 attempts: The provider answered HTTP 503/, true),
  },
  {
    name: 'HTTP 429',
    line: 'HTTP_429',
    fault: { httpStatus: 429 },
    expected: exhausted('HTTP_429', /^gave up after 3 attempts: The provider answered HTTP 429/),
  },
  {
    name: 'HTTP 400',
    line: 'HTTP_4xx',
    fault: { httpStatus: 400 },
    expected: final('HTTP_400', /^The provider answered HTTP 400/),
  },
  {
    name: 'HTTP 302 (redirects are not followed)',
    line: 'HTTP_3xx',
    fault: { httpStatus: 302 },
    expected: final('HTTP_302', /^The provider answered HTTP 302/),
  },
  {
    name: 'timeout (connected, no answer in time, nothing created)',
    line: 'TIMEOUT',
    fault: { latencyMs: CLIENT_TIMEOUT_MS * 4, drop: 'before_processing' },
    expected: exhausted('TIMEOUT', /^gave up after 3 attempts: /, true),
  },
  {
    name: 'connection dropped without an answer',
    line: 'CONNECTION_RESET',
    fault: { drop: 'before_processing' },
    expected: exhausted('CONNECTION_RESET', /^gave up after 3 attempts: /, true),
  },
];

describe('provider fidelity: the classification table through the whole service (Kafka → Postgres → HTTP → Kafka)', () => {
  let flow: FlowFixture;
  let simulator: RunningSimulator;
  let kafka: KafkaTestClient;
  let db: TestDatabase;

  beforeAll(async () => {
    flow = await startFlow({
      service: {
        SUBMISSION_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        SUBMISSION_BACKOFF_BASE_MS: String(BACKOFF_MS),
        SUBMISSION_BACKOFF_MAX_MS: String(BACKOFF_MS),
        SUBMISSION_LONG_BACKOFF_MS: String(BACKOFF_MS),
        SUBMISSION_CONCURRENCY: '32',
        ITNIOTECH_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
        ITNIOTECH_LOOKUP_SETTLE_MS: String(LOOKUP_SETTLE_MS),
      },
    });
    ({ simulator, kafka, db } = flow);
  });

  afterAll(async () => {
    await flow?.close();
  });

  type Sent = ReturnType<typeof sampleRequest>;

  function outcomeOf(sent: Sent, timeoutMs = 50_000): Promise<ReceivedMessage> {
    return waitFor(
      `the outcome of ${sent.requestId}`,
      () => kafka.received.find((m) => (m.topic === TOPICS.completed || m.topic === TOPICS.failed) && m.json?.requestId === sent.requestId),
      timeoutMs,
      200,
    );
  }

  async function resendCalls(keyId: number): Promise<CallRecord[]> {
    const { calls } = await simulator.calls();
    return calls.filter((call) => call.path === RESEND_PATH && call.keyId === keyId).sort((a, b) => a.seq - b.seq);
  }

  async function attemptRows(sent: Sent) {
    return db.rows(
      `SELECT a.* FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
        WHERE r.request_id = $1 ORDER BY a.attempt_number`,
      [sent.requestId],
    );
  }

  async function requestRow(sent: Sent) {
    return (await db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [sent.requestId]))!;
  }

  it('the table below covers every line of the classification table', () => {
    const covered = new Set(ROWS.map((row) => row.line));
    // Lines a fault rule cannot produce per keyId: a refused connection or DNS failure takes the
    // provider away for every request (the client's own e2e tests cover them); BAD_RESPONSE has
    // tests of its own below, because its outcome depends on what a lookup finds.
    const elsewhere = new Set(['CONNECTION_REFUSED', 'NETWORK', 'BAD_RESPONSE']);
    const missing = CLASSIFICATION_TABLE.map((entry) => entry.code).filter((code) => !covered.has(code) && !elsewhere.has(code));
    expect(missing).toEqual([]);
  });

  it(`every status code, HTTP error, timeout and dropped connection gives the documented outcome (${ROWS.length} requests in parallel)`, async () => {
    const cases = ROWS.map((row) => ({
      row,
      sent: sampleRequest({ taskName: `fidelity ${row.name}`.slice(0, 40) + ` ${Math.random().toString(36).slice(2, 10)}` }),
    }));
    const rules = cases.filter(({ row }) => row.fault).map(({ row, sent }) => ({ ...row.fault!, match: { keyId: sent.keyId } }));
    await simulator.addFaults(...rules);
    for (const { sent } of cases) await kafka.sendJson(TOPICS.requested, sent);

    const outcomes = await Promise.all(cases.map(({ sent }) => outcomeOf(sent, 200_000)));

    for (const [index, { row, sent }] of cases.entries()) {
      const outcome = outcomes[index]!;
      const context = `${row.name}: ${JSON.stringify(outcome.json)}`;
      // One outcome per request (copies of it, if any, share its ce_id).
      const copies = kafka.received.filter((m) => m.json?.requestId === sent.requestId);
      expect(new Set(copies.map((m) => m.headers.ce_id)).size, context).toBe(1);
      const calls = await resendCalls(sent.keyId);
      const tasks = await simulator.tasksFor(sent.keyId);
      const attempts = await attemptRows(sent);
      const request = await requestRow(sent);

      if (row.expected.topic === 'completed') {
        expect(outcome.topic, context).toBe(TOPICS.completed);
        expect(tasks, context).toHaveLength(1);
        expect(outcome.json, context).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 1, resolvedByLookup: false });
        expect(validateCompletedEvent(outcome.json), context).toEqual([]);
        expect(request, context).toMatchObject({ status: 'completed', attempts: 1 });
        expect(calls, context).toHaveLength(1);
        continue;
      }

      const expected = row.expected;
      expect(outcome.topic, context).toBe(TOPICS.failed);
      expect(validateFailedEvent(outcome.json), context).toEqual([]);
      expect(outcome.json, context).toMatchObject({
        requestId: sent.requestId,
        keyId: sent.keyId,
        error: { code: expected.code, category: expected.category },
        attempts: expected.attempts,
      });
      if (typeof expected.message === 'string') expect(outcome.json.error.message, context).toBe(expected.message);
      else expect(outcome.json.error.message, context).toMatch(expected.message);
      expect(request, context).toMatchObject({
        status: 'failed',
        attempts: expected.attempts,
        error_code: expected.code,
        error_category: expected.category,
      });

      // The provider saw exactly `attempts` resend calls, every one correctly signed, and created nothing.
      expect(calls, context).toHaveLength(expected.attempts);
      expect(
        calls.every((call) => call.signatureValid && call.faultRuleId !== null),
        context,
      ).toBe(true);
      expect(tasks, context).toHaveLength(0);

      // Each attempt signed afresh: strictly increasing timestamps (the backoff is over a second),
      // and the audit row keeps the Timestamp the provider received.
      const timestamps = calls.map((call) => Number(call.timestamp));
      for (let i = 1; i < timestamps.length; i += 1) expect(timestamps[i], context).toBeGreaterThan(timestamps[i - 1]!);
      const submits = attempts.filter((attempt) => attempt.kind === 'submit');
      expect(
        submits.map((attempt) => Number(attempt.sign_timestamp)),
        context,
      ).toEqual(timestamps);
      for (const submit of submits) expect(submit.error_code, context).toBe(expected.code);

      // Unknown outcomes: the task is looked up after every call, before any new call;
      // known outcomes: no lookup at all.
      const kinds = attempts.map((attempt) => attempt.kind);
      const expectedKinds = expected.lookups
        ? Array.from({ length: expected.attempts }, () => ['submit', 'lookup']).flat()
        : Array.from({ length: expected.attempts }, () => 'submit');
      expect(kinds, context).toEqual(expectedKinds);
      for (const [index, lookup] of attempts.entries()) {
        if (lookup.kind !== 'lookup') continue;
        expect(lookup.outcome, context).toBe('not_found');
        expect(lookup.request_body, context).toMatchObject({ taskName: sent.taskName });
        // Believed (the next step is a call, or the failure): it began after the settle delay from its call's start.
        const call = attempts[index - 1]!;
        expect(lookup.started_at.getTime() - call.started_at.getTime(), context).toBeGreaterThanOrEqual(LOOKUP_SETTLE_MS);
      }
    }
  }, 240_000);

  it('an accepted call whose answer is lost is found by a lookup: completed with the ledger task id, one task', async () => {
    const sent = sampleRequest();
    await simulator.addFaults({ match: { keyId: sent.keyId }, drop: 'after_processing', times: 1 });
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(outcome.topic).toBe(TOPICS.completed);
    expect(outcome.json).toMatchObject({
      keyId: sent.keyId,
      taskName: sent.taskName,
      newKeyId: tasks[0]!.taskId,
      attempts: 1,
      resolvedByLookup: true,
    });
    expect(validateCompletedEvent(outcome.json)).toEqual([]);
    expect(await resendCalls(sent.keyId)).toHaveLength(1);
    const attempts = await attemptRows(sent);
    expect(attempts.map((a) => [a.kind, a.outcome, a.error_code])).toEqual([
      ['submit', 'transport_error', 'CONNECTION_RESET'],
      ['lookup', 'found', null],
    ]);
    expect(await requestRow(sent)).toMatchObject({
      status: 'completed',
      provider_task_id: String(tasks[0]!.taskId),
      resolved_by_lookup: true,
    });
  });

  it('two HTTP 503s then success: completed on the third attempt, one task', async () => {
    const sent = sampleRequest();
    await simulator.addFaults({ match: { keyId: sent.keyId }, httpStatus: 503, times: 2 });
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(outcome.topic).toBe(TOPICS.completed);
    expect(outcome.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 3, resolvedByLookup: false });
    expect((await resendCalls(sent.keyId)).map((call) => call.answer)).toEqual([
      { kind: 'answered', httpStatus: 503 },
      { kind: 'answered', httpStatus: 503 },
      { kind: 'answered', httpStatus: 200, status: '0', reason: 'success' },
    ]);
    // A 503 may come after the work was done: each one is followed by a lookup before the next call.
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'submit:http_error',
      'lookup:not_found',
      'submit:http_error',
      'lookup:not_found',
      'submit:accepted',
    ]);
  });

  it('-16 (timestamp expired) once: the retry is signed again with a fresh timestamp and succeeds', async () => {
    const sent = sampleRequest();
    await simulator.addFaults({ match: { keyId: sent.keyId }, answer: { status: '-16' }, times: 1 });
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(outcome.topic).toBe(TOPICS.completed);
    expect(outcome.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 2, resolvedByLookup: false });
    expect(tasks).toHaveLength(1);

    const calls = await resendCalls(sent.keyId);
    expect(calls.map((call) => call.answer?.kind === 'answered' && call.answer.status)).toEqual(['-16', '0']);
    const [first, second] = calls.map((call) => ({
      timestamp: Number(call.timestamp),
      receivedAt: Date.parse(call.receivedAt) / 1000,
      valid: call.signatureValid,
    }));
    // Each Timestamp is the time of its own sending (Unix seconds), not of the first attempt or the process start.
    for (const call of [first!, second!]) {
      expect(call.valid).toBe(true);
      expect(Math.abs(call.receivedAt - call.timestamp)).toBeLessThan(2);
    }
    // The retry came more than a second later (backoff >= 2.2 s): a later second, hence another Sign.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1.1);
    expect(second!.timestamp).toBeGreaterThan(first!.timestamp);
    expect(signRequest(TEST_API_KEY, TEST_API_SECRET, second!.timestamp)).not.toBe(
      signRequest(TEST_API_KEY, TEST_API_SECRET, first!.timestamp),
    );
    const submits = (await attemptRows(sent)).filter((a) => a.kind === 'submit');
    expect(submits.map((a) => Number(a.sign_timestamp))).toEqual([first!.timestamp, second!.timestamp]);
  });

  it('a failed lookup after an unknown outcome is retried as a lookup, never as a second call', async () => {
    const sent = sampleRequest();
    await simulator.addFaults(
      { match: { keyId: sent.keyId }, drop: 'after_processing', times: 1 },
      { match: { path: QUERY_PATH }, httpStatus: 503, times: 1 },
    );
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(outcome.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 1, resolvedByLookup: true });
    expect(await resendCalls(sent.keyId)).toHaveLength(1);
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'submit:transport_error',
      'lookup:lookup_failed',
      'lookup:found',
    ]);
  });

  it('-41 on a call after an unknown outcome means "probably ours": looked up, completed with the original task id', async () => {
    const sent = sampleRequest();
    // The first call creates the task but its answer is lost; the first lookup, after the settle
    // delay, does not see it (the provider's search answers "Data unexisting"), so the service
    // sends again and the provider answers -41 "Task name already exists".
    await simulator.addFaults(
      { match: { keyId: sent.keyId }, drop: 'after_processing', times: 1 },
      { match: { path: QUERY_PATH }, answer: { status: '-24' }, times: 1 },
    );
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(outcome.topic).toBe(TOPICS.completed);
    expect(outcome.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 2, resolvedByLookup: true });
    expect((await resendCalls(sent.keyId)).map((call) => call.answer)).toEqual([
      { kind: 'dropped', phase: 'after_processing' },
      { kind: 'answered', httpStatus: 200, status: '-41', reason: 'Task name already exists' },
    ]);
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}:${a.error_code ?? ''}`)).toEqual([
      'submit:transport_error:CONNECTION_RESET',
      'lookup:not_found:',
      'submit:rejected:-41',
      'lookup:found:',
    ]);
  });

  it('an unreadable 2xx answer (BAD_RESPONSE) is looked up before it is reported: nothing found → failed, never sent twice', async () => {
    const sent = sampleRequest();
    await simulator.addFaults({ match: { keyId: sent.keyId }, body: '<html>gateway says hello</html>' });
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    expect(outcome.topic).toBe(TOPICS.failed);
    expect(validateFailedEvent(outcome.json)).toEqual([]);
    expect(outcome.json).toMatchObject({ attempts: 1, error: { code: 'BAD_RESPONSE', category: 'provider_rejected' } });
    expect(outcome.json.error.message).toMatch(/unreadable body/);
    expect(await resendCalls(sent.keyId)).toHaveLength(1);
    expect(await simulator.tasksFor(sent.keyId)).toHaveLength(0);
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}`)).toEqual(['submit:http_error', 'lookup:not_found']);
  });

  it('a "success" without a task id (BAD_RESPONSE) for a task the provider did create: found by the lookup, completed', async () => {
    const sent = sampleRequest();
    const { requestId: _requestId, correlationId: _correlationId, ...providerBody } = sent;
    // The provider creates the task, then answers status 0 without `data`: we play the creation
    // with a direct signed call, then make the service's own call get that answer.
    const direct = new ItniotechClient({ baseUrl: simulator.url, apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, timeoutMs: 10_000 });
    const created = await direct.resendAi(providerBody);
    direct.close();
    expect(created.kind).toBe('accepted');
    await simulator.addFaults({ match: { keyId: sent.keyId }, body: '{"status":"0","reason":"success"}' });
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    const tasks = await simulator.tasksFor(sent.keyId);
    expect(tasks).toHaveLength(1);
    expect(outcome.topic).toBe(TOPICS.completed);
    expect(outcome.json).toMatchObject({ newKeyId: tasks[0]!.taskId, attempts: 1, resolvedByLookup: true });
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}:${a.error_code ?? ''}`)).toEqual([
      'submit:http_error:BAD_RESPONSE',
      'lookup:found:',
    ]);
  });

  it('lookups that keep failing end the request as outcome_unknown, telling the operator to check the provider', async () => {
    const sent = sampleRequest();
    await simulator.addFaults(
      { match: { keyId: sent.keyId }, drop: 'after_processing', times: 1 },
      { match: { path: QUERY_PATH }, httpStatus: 503 },
    );
    await kafka.sendJson(TOPICS.requested, sent);

    const outcome = await outcomeOf(sent);
    expect(outcome.topic).toBe(TOPICS.failed);
    expect(validateFailedEvent(outcome.json)).toEqual([]);
    expect(outcome.json).toMatchObject({
      keyId: sent.keyId,
      taskName: sent.taskName,
      attempts: 1,
      error: { code: 'HTTP_503', category: 'outcome_unknown' },
    });
    expect(outcome.json.error.message).toMatch(/may or may not have created task/);
    expect(outcome.json.error.message).toContain(sent.taskName);
    expect(outcome.json.error.message).toMatch(/check the provider before resending/);
    // Never sent twice: the task the lost call created is the only one.
    expect(await resendCalls(sent.keyId)).toHaveLength(1);
    expect(await simulator.tasksFor(sent.keyId)).toHaveLength(1);
    expect((await attemptRows(sent)).map((a) => `${a.kind}:${a.outcome}`)).toEqual([
      'submit:transport_error',
      ...Array.from({ length: MAX_ATTEMPTS }, () => 'lookup:lookup_failed'),
    ]);
    expect(await requestRow(sent)).toMatchObject({ status: 'failed', error_category: 'outcome_unknown', attempts: 1 });
  });
});
