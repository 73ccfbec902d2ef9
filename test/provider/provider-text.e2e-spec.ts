import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../apps/itniotech-simulator/src/call-journal.js';
import { recordScenario, suiteSize, waitUntilSettled } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { waitFor } from '../support/wait-for.js';
import { TOPICS } from '../support/e2e-context.js';

const RESEND_PATH = '/voice/group/call/resend/ai';
const QUERY_PATH = '/voice/group/call/query';

/** A provider reason PostgreSQL cannot store as it is: a NUL, a lone high and a lone low surrogate. */
const DIRTY_REASON = 'Recall refused\u0000 task \uD83D still \uDE00 running 😀';
/** What the service keeps of it: each of them U+FFFD, the emoji (a whole pair) as it was. */
const CLEANED_REASON = 'Recall refused\uFFFD task \uFFFD still \uFFFD running 😀';

type Request = ReturnType<typeof sampleRequest>;

/**
 * Provider text PostgreSQL refuses in text and jsonb (docs/provider.md): the client cleans it where
 * it enters, so the answer reaches the request's row and its one outcome, and the answers written
 * in the same group with it are not held back. Real service processes, Kafka, PostgreSQL and the
 * simulator over HTTP; the simulator answers the dirty text through its control API.
 */
describe('provider text PostgreSQL cannot store (NUL, lone surrogates)', { timeout: 120_000 }, () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed] });

  async function resendCallsOf(request: Request): Promise<CallRecord[]> {
    const { calls } = await parts.simulator.calls();
    return calls.filter((call) => call.path === RESEND_PATH && call.taskName === request.taskName);
  }

  function failedEvents(request: Request) {
    return parts.kafka.messagesOn(TOPICS.failed, (message) => message.json?.requestId === request.requestId);
  }

  async function attemptsOf(request: Request) {
    return parts.db.rows(
      `SELECT a.kind, a.outcome, a.provider_reason, a.error_code, a.error_message
         FROM submission_attempt a JOIN resend_request r ON r.id = a.request_id
        WHERE r.request_id = $1 ORDER BY a.attempt_number`,
      [request.requestId],
    );
  }

  it('a -42 whose reason carries a NUL and lone surrogates: one failed event with the reason cleaned, the row failed, sent once', async () => {
    await parts.start('dirty-refusal');
    const request = sampleRequest();
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, answer: { status: '-42', reason: DIRTY_REASON } });
    await parts.kafka.sendJson(TOPICS.requested, request);

    const [event] = await parts.kafka.waitForMessages(TOPICS.failed, (message) => message.json?.requestId === request.requestId, 1, 60_000);
    expect(event!.json.error).toMatchObject({ code: '-42', message: CLEANED_REASON });
    const row = await parts.db.one(
      `SELECT status, attempts, error_code, error_message, lease_owner, outcome_unknown FROM resend_request WHERE request_id = $1`,
      [request.requestId],
    );
    expect(row).toEqual({
      status: 'failed',
      attempts: 1,
      error_code: '-42',
      error_message: CLEANED_REASON,
      lease_owner: null,
      outcome_unknown: false,
    });
    expect(await attemptsOf(request)).toEqual([
      { kind: 'submit', outcome: 'rejected', provider_reason: CLEANED_REASON, error_code: '-42', error_message: CLEANED_REASON },
    ]);
    // Final, with no lease: nothing can claim it again.
    expect(await resendCallsOf(request)).toHaveLength(1);
    expect(failedEvents(request)).toHaveLength(1);
  });

  it('answers released together, some with such text: every request reaches its outcome once, none sent twice', async () => {
    const startedAt = Date.now();
    // Calls held until every one is in, then answered: a call timeout long enough for all of them
    // to arrive also on a busy machine, and a lease longer than the timeout (docs/guarantees.md,
    // limits). A call that timed out, or whose lease ran out, would be looked up and sent again
    // after its -42, as it should be, and this test could not tell which answer a request got.
    await parts.start('dirty-group', { ITNIOTECH_TIMEOUT_MS: '120000', SUBMISSION_LEASE_MS: '180000' });
    // At most SUBMISSION_CONCURRENCY (64) calls in flight, or they could never all be held.
    const requests = Array.from({ length: suiteSize(12, 60) }, () => sampleRequest());
    const dirty = new Set(requests.filter((_, index) => index % 4 === 1).map((request) => request.requestId));
    // Every call held until all are in, then answered at once: the results are written in one or two groups.
    await parts.simulator.addFaults(
      ...requests.map((request) =>
        dirty.has(request.requestId)
          ? { match: { keyId: request.keyId }, times: 1, hold: true, answer: { status: '-42', reason: DIRTY_REASON } }
          : { match: { keyId: request.keyId }, times: 1, hold: true },
      ),
    );
    for (const request of requests) await parts.kafka.sendJson(TOPICS.requested, request);
    await waitFor('every call to be held', async () => (await parts.simulator.held()).count === requests.length, 110_000);
    await parts.simulator.release();

    const report = await waitUntilSettled(requests, parts, 60_000);
    recordScenario('provider text with NUL', `${dirty.size} of ${requests.length} answers with NUL and lone surrogates`, report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [], secondResendCalls: [] });
    expect(report.byStatus).toEqual({ completed: requests.length - dirty.size, failed: dirty.size });
    for (const request of requests.filter((candidate) => dirty.has(candidate.requestId))) {
      expect(failedEvents(request).map((event) => event.json.error.message)).toEqual([CLEANED_REASON]);
    }
    for (const request of requests) expect(await resendCallsOf(request)).toHaveLength(1);
  });

  it('failing lookups whose reason carries such text are counted: two lookup failures, then found; one task', async () => {
    await parts.start('dirty-lookup');
    const request = sampleRequest();
    // The task is created but its answer lost: the outcome is unknown, and lookups decide it.
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, drop: 'after_processing' });
    await parts.simulator.addFault({ match: { path: QUERY_PATH }, times: 2, answer: { status: '-10', reason: DIRTY_REASON } });
    await parts.kafka.sendJson(TOPICS.requested, request);

    const [event] = await parts.kafka.waitForMessages(
      TOPICS.completed,
      (message) => message.json?.requestId === request.requestId,
      1,
      60_000,
    );
    expect(event!.json).toMatchObject({ resolvedByLookup: true });
    const row = await parts.db.one(`SELECT status, lookup_failures FROM resend_request WHERE request_id = $1`, [request.requestId]);
    expect(row).toEqual({ status: 'completed', lookup_failures: 2 });
    expect((await attemptsOf(request)).map((a) => [a.kind, a.outcome, a.error_code, a.error_message])).toEqual([
      ['submit', 'transport_error', 'CONNECTION_RESET', expect.any(String)],
      ['lookup', 'lookup_failed', '-10', CLEANED_REASON],
      ['lookup', 'lookup_failed', '-10', CLEANED_REASON],
      ['lookup', 'found', null, null],
    ]);
    expect(await resendCallsOf(request)).toHaveLength(1);
    expect(await parts.simulator.tasksFor(request.keyId)).toHaveLength(1);
  });
});
