import { formatProviderDateTime, ItniotechClient } from '#itniotech';
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../apps/itniotech-simulator/src/call-journal.js';
import { EXAMPLE_TASK_SETTINGS } from '../../scripts/support/example-task-settings.js';
import { PositionedProducer } from '../support/positioned-producer.js';
import { sampleRequest, uniqueKeyId } from '../support/requests.js';
import { stableMembers } from '../support/scenario-kit.js';
import { TEST_API_KEY, TEST_API_SECRET } from '../support/service-harness.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const RESEND_PATH = '/voice/group/call/resend/ai';
const QUERY_PATH = '/voice/group/call/query';

type Request = ReturnType<typeof sampleRequest>;

/**
 * What stands between a lost answer and a second task (docs/guarantees.md): the lookup before any
 * new call, believed "not found" only after the settle delay; `-41` after an unknown outcome read
 * as "probably ours", also when only the in-flight mark says so (a kill); a lookup that has not read
 * every match is no answer; where the lookup searches; lease owners that two processes never share.
 * Real service processes, Kafka, PostgreSQL and the simulator over HTTP.
 */
describe('lookups after an unknown outcome', { timeout: 120_000 }, () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed] });

  async function callsFor(request: Request, path: string): Promise<CallRecord[]> {
    const { calls } = await parts.simulator.calls();
    const ours = (call: CallRecord) =>
      path === RESEND_PATH
        ? call.taskName === request.taskName
        : (call.body as { params?: { searchCondition?: string } } | undefined)?.params?.searchCondition === request.taskName;
    return calls.filter((call) => call.path === path && ours(call)).sort((a, b) => a.seq - b.seq);
  }

  async function attemptsOf(request: Request) {
    return parts.db.rows(
      `SELECT a.* FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
        WHERE r.request_id = $1 ORDER BY a.attempt_number`,
      [request.requestId],
    );
  }

  function terminalRow(request: Request, timeoutMs = 60_000) {
    return waitFor(
      `${request.requestId} to be terminal`,
      () => parts.db.one(`SELECT * FROM resend_request WHERE request_id = $1 AND status IN ('completed', 'failed')`, [request.requestId]),
      timeoutMs,
    );
  }

  it('a call the provider processes after the client gave up: "not found" before the settle delay is looked up again, never sent again; one task', async () => {
    await parts.start('settle', { ITNIOTECH_TIMEOUT_MS: '1000', ITNIOTECH_LOOKUP_SETTLE_MS: '3000' });
    const request = sampleRequest();
    // The simulator holds the call 2 s before processing it: the client gives up after 1 s, the
    // task is created 1 s later, between the first lookup (about 1.1 s) and the settle delay (3 s).
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, latencyMs: 2_000, delayPhase: 'before_processing' });
    await parts.kafka.sendJson(TOPICS.requested, request);

    const row = await terminalRow(request);
    const tasks = await parts.simulator.tasksFor(request.keyId);
    expect(tasks).toHaveLength(1);
    expect(row).toMatchObject({ status: 'completed', resolved_by_lookup: true, provider_task_id: String(tasks[0]!.taskId) });
    const attempts = await attemptsOf(request);
    expect(attempts.map((a) => `${a.kind}:${a.outcome}`)).toEqual(['submit:transport_error', 'lookup:not_found', 'lookup:found']);
    // The lookup that decided began the settle delay after the call did.
    expect(attempts[2]!.started_at.getTime() - attempts[0]!.started_at.getTime()).toBeGreaterThanOrEqual(3_000);
    expect(await callsFor(request, RESEND_PATH)).toHaveLength(1);
    const [event] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === request.requestId);
    expect(event!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, resolvedByLookup: true });
  });

  it('-41 after a kill between the accepted call and its record (only the in-flight mark says the outcome is unknown): looked up, completed with the task', async () => {
    const victim = await parts.start('killed', { RESEND_RELAY_FAILPOINTS: 'before_result_commit' });
    const request = sampleRequest();
    await parts.kafka.sendJson(TOPICS.requested, request);
    await victim.waitForOutput(/FAILPOINT before_result_commit/);
    await victim.kill();
    expect(await parts.simulator.tasksFor(request.keyId)).toHaveLength(1);

    // The first lookup after the restart does not see the task ("Data unexisting"); it comes after
    // the lease expired (5 s), past the settle delay (3 s): believed, so the request is sent again.
    await parts.simulator.addFault({ match: { path: QUERY_PATH }, times: 1, answer: { status: '-24' } });
    await parts.start('resumed', { ITNIOTECH_LOOKUP_SETTLE_MS: '3000' });

    const row = await terminalRow(request);
    const tasks = await parts.simulator.tasksFor(request.keyId);
    expect(tasks).toHaveLength(1);
    expect(row).toMatchObject({ status: 'completed', resolved_by_lookup: true, provider_task_id: String(tasks[0]!.taskId) });
    expect((await callsFor(request, RESEND_PATH)).map((call) => call.answer)).toEqual([
      { kind: 'answered', httpStatus: 200, status: '0', reason: 'success' },
      { kind: 'answered', httpStatus: 200, status: '-41', reason: 'Task name already exists' },
    ]);
    const attempts = await attemptsOf(request);
    expect(attempts.slice(1).map((a) => `${a.kind}:${a.outcome}:${a.error_code ?? ''}`)).toEqual([
      'lookup:not_found:',
      'submit:rejected:-41',
      'lookup:found:',
    ]);
    const [event] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === request.requestId);
    expect(event!.json).toMatchObject({ newKeyId: tasks[0]!.taskId, resolvedByLookup: true });
    expect(parts.kafka.messagesOn(TOPICS.failed, (m) => m.json?.requestId === request.requestId)).toEqual([]);
  });

  it('a search matching more records than the lookup reads (10 pages of 20) is no answer: LOOKUP_INCOMPLETE, still unknown, never sent again', async () => {
    const request = sampleRequest();
    // 210 tasks whose names contain the request's task name: the provider's search matches them all.
    const direct = new ItniotechClient({
      baseUrl: parts.simulator.url,
      apiKey: TEST_API_KEY,
      apiSecret: TEST_API_SECRET,
      timeoutMs: 10_000,
    });
    try {
      for (let batch = 0; batch < 21; batch += 1) {
        const created = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            direct.resendAi({ ...EXAMPLE_TASK_SETTINGS, keyId: uniqueKeyId(), taskName: `${request.taskName} #${batch * 10 + index}` }),
          ),
        );
        expect(created.every((result) => result.kind === 'accepted')).toBe(true);
      }
    } finally {
      direct.close();
    }
    await parts.start('partial', { SUBMISSION_MAX_ATTEMPTS: '2', SUBMISSION_BACKOFF_BASE_MS: '4000', SUBMISSION_BACKOFF_MAX_MS: '4000' });
    // The call is lost before the provider processes it: the task does not exist.
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, drop: 'before_processing' });
    await parts.kafka.sendJson(TOPICS.requested, request);

    // After the first lookup (the next one is due 2 to 4 s later): pending, outcome still unknown.
    await waitFor(
      'the first lookup to fail',
      async () => (await attemptsOf(request)).some((a) => a.kind === 'lookup' && a.outcome !== 'in_flight'),
      60_000,
    );
    const between = await parts.db.one(
      `SELECT status, outcome_unknown, error_code, lookup_failures FROM resend_request WHERE request_id = $1`,
      [request.requestId],
    );
    expect(between).toEqual({ status: 'pending', outcome_unknown: true, error_code: 'LOOKUP_INCOMPLETE', lookup_failures: 1 });

    const row = await terminalRow(request);
    expect(row).toMatchObject({ status: 'failed', error_code: 'LOOKUP_INCOMPLETE', error_category: 'outcome_unknown' });
    const attempts = await attemptsOf(request);
    expect(attempts.map((a) => `${a.kind}:${a.outcome}:${a.error_code ?? ''}`)).toEqual([
      'submit:transport_error:CONNECTION_RESET',
      'lookup:lookup_failed:LOOKUP_INCOMPLETE',
      'lookup:lookup_failed:LOOKUP_INCOMPLETE',
    ]);
    // Each lookup read its 10 pages; the request was sent once.
    expect((await callsFor(request, QUERY_PATH)).map((call) => (call.body as { current: number }).current)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(await callsFor(request, RESEND_PATH)).toHaveLength(1);
    expect(await parts.simulator.tasksFor(request.keyId)).toEqual([]);
  });

  it('the lookup searches from ITNIOTECH_LOOKUP_WINDOW_MINUTES before the first call to as long after the lookup itself', async () => {
    await parts.start('window', { ITNIOTECH_TIMEOUT_MS: '1000', ITNIOTECH_LOOKUP_SETTLE_MS: '3000' });
    const request = sampleRequest();
    // Lost before processing: a lookup right away finds nothing (too soon to believe), one after the settle delay neither.
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, drop: 'before_processing' });
    await parts.kafka.sendJson(TOPICS.requested, request);

    const row = await terminalRow(request);
    expect(row).toMatchObject({ status: 'completed', resolved_by_lookup: false });
    const windowMs = 60 * 60_000;
    const firstCall: Date = row.first_attempt_at;
    const lookups = (await attemptsOf(request)).filter((a) => a.kind === 'lookup');
    const queries = await callsFor(request, QUERY_PATH);
    expect(lookups).toHaveLength(2);
    expect(queries).toHaveLength(2);
    for (const [index, query] of queries.entries()) {
      const { strTime, endTime } = (query.body as { params: { strTime: string; endTime: string } }).params;
      // From the first call's time minus the window (the same for every lookup) …
      expect(strTime).toBe(formatProviderDateTime(new Date(firstCall.getTime() - windowMs)));
      // … to the lookup's own time plus the window (yyyy-MM-dd HH:mm:ss in UTC: to the second, rounded down).
      const end = Date.parse(`${endTime.replace(' ', 'T')}Z`);
      const lookupAt = lookups[index]!.started_at.getTime();
      expect(end).toBeGreaterThan(lookupAt + windowMs - 2_000);
      expect(end).toBeLessThanOrEqual(Date.parse(query.receivedAt) + windowMs);
    }
    // The second lookup came the settle delay later: its end moved with it, its start did not.
    const ends = queries.map((query) => Date.parse(`${(query.body as { params: { endTime: string } }).params.endTime.replace(' ', 'T')}Z`));
    expect(ends[1]! - ends[0]!).toBeGreaterThanOrEqual(2_000);
  });

  it('two processes with the same INSTANCE_ID never share a lease owner: <INSTANCE_ID>/<token of 16 hex digits>/<claim number>, the token differing', async () => {
    const instanceId = `twin-${uniqueKeyId()}`;
    await Promise.all([parts.start('twin-a', { INSTANCE_ID: instanceId }), parts.start('twin-b', { INSTANCE_ID: instanceId })]);
    await waitFor('both processes in the consumer group', async () => (await stableMembers(e2e.kafkaBrokers, e2e.groupId)) === 2, 60_000);
    // One request on each partition: each process records (and claims) those of its own partitions.
    const requests = [sampleRequest(), sampleRequest(), sampleRequest()];
    await parts.simulator.addFaults(...requests.map((request) => ({ match: { keyId: request.keyId }, times: 1, hold: true })));
    const producer = new PositionedProducer(e2e.kafkaBrokers);
    try {
      await producer.send(
        TOPICS.requested,
        requests.map((request, partition) => ({ key: String(request.keyId), partition, value: JSON.stringify(request) })),
      );
    } finally {
      await producer.close();
    }
    await waitFor('the three calls to be held', async () => (await parts.simulator.held()).count === requests.length, 60_000);

    const owners = await parts.db.rows<{ lease_owner: string }>(`SELECT lease_owner FROM resend_request WHERE request_id = ANY($1)`, [
      requests.map((request) => request.requestId),
    ]);
    const pattern = new RegExp(`^${instanceId}/([0-9a-f]{16})/(\\d+)$`);
    for (const { lease_owner } of owners) expect(lease_owner).toMatch(pattern);
    expect(new Set(owners.map((owner) => owner.lease_owner)).size).toBe(requests.length);
    const tokens = new Set(owners.map((owner) => owner.lease_owner.match(pattern)![1]));
    expect(tokens.size).toBe(2);

    await parts.simulator.release();
    for (const request of requests) expect(await terminalRow(request)).toMatchObject({ status: 'completed' });
  });
});
