import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checkInvariants, recordScenario, waitUntilSettled } from '../support/invariants.js';
import { sampleRequest } from '../support/requests.js';
import { useServiceProcesses } from '../support/service-processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';
import { createTopics, e2e, TOPICS } from '../support/e2e-context.js';

/** A topic of this file only, for outbox rows that must never reach a real consumer. */
const SCRATCH_TOPIC = 'resend-relay-e2e.shutdown-scratch';

/**
 * Stopping the service (real OS processes): SIGTERM drains the provider calls in flight and
 * publishes their outcomes before exiting 0; a second signal exits at once and loses nothing;
 * published outbox rows are pruned after OUTBOX_RETENTION_DAYS.
 */
describe('shutdown: graceful stop, forced stop, outbox retention', { timeout: 240_000 }, () => {
  const parts = useServiceProcesses({ watch: [TOPICS.completed, TOPICS.failed] });

  function completedEvents(requestId: string) {
    return parts.kafka.messagesOn(TOPICS.completed, (m) => m.json?.requestId === requestId);
  }

  it('SIGTERM with a provider call in flight: stops consuming, finishes the call, publishes the outcome, exits 0', async () => {
    const startedAt = Date.now();
    const service = await parts.start('graceful', { SHUTDOWN_GRACE_MS: '30000' });
    const request = sampleRequest();
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, latencyMs: 2_000 });
    await parts.kafka.sendJson(TOPICS.requested, request);
    // The simulator creates the task, then waits 2 s before answering: the call is in flight.
    await waitFor('the provider call to be in flight', async () => (await parts.simulator.tasksFor(request.keyId)).length === 1, 60_000);

    service.signal('SIGTERM');
    await service.waitForOutput(/shutting down on SIGTERM/);
    // Published while the instance is stopping: it must be left to the next instance.
    const later = sampleRequest();
    await parts.kafka.sendJson(TOPICS.requested, later);

    expect(await service.waitForExit()).toBe(0);
    expect(service.log).not.toMatch(/still in flight after/);
    // Nothing else ran: the stopping instance itself recorded the result and published the event.
    const row = await parts.db.one(`SELECT * FROM resend_request WHERE request_id = $1`, [request.requestId]);
    expect(row).toMatchObject({ status: 'completed', attempts: 1, resolved_by_lookup: false, lease_owner: null });
    const tasks = await parts.simulator.tasksFor(request.keyId);
    expect(tasks).toHaveLength(1);
    expect(Number(row!.provider_task_id)).toBe(tasks[0]!.taskId);
    const unpublished = await parts.db.rows(`SELECT id FROM outbox_event WHERE published_at IS NULL AND headers->>'ce_subject' = $1`, [
      String(request.keyId),
    ]);
    expect(unpublished).toEqual([]);
    const [event] = await parts.kafka.waitForMessages(TOPICS.completed, (m) => m.json?.requestId === request.requestId);
    expect(event!.json.newKeyId).toBe(tasks[0]!.taskId);
    // The message published during the shutdown was not consumed by the stopping instance.
    expect(await parts.db.rows(`SELECT 1 FROM resend_request WHERE request_id = $1`, [later.requestId])).toEqual([]);

    // The next instance picks it up; the first request is not touched again.
    const next = await parts.start('graceful-next');
    const report = await waitUntilSettled([request, later], parts, 90_000);
    recordScenario('SIGTERM with a call in flight', 'latency 2 s, SIGTERM', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(report.byStatus).toEqual({ completed: 2 });
    expect(completedEvents(request.requestId)).toHaveLength(1);
    expect(await next.stop()).toBe(0);
  });

  it('a second signal exits at once; after a restart the request still completes exactly once', async () => {
    const startedAt = Date.now();
    // A long grace period and a held call: only the second signal can end this process quickly.
    const service = await parts.start('forced', { SHUTDOWN_GRACE_MS: '120000', ITNIOTECH_TIMEOUT_MS: '120000' });
    const request = sampleRequest();
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, hold: true });
    await parts.kafka.sendJson(TOPICS.requested, request);
    await waitFor('the provider call to be held', async () => (await parts.simulator.held()).count === 1, 60_000);

    // The first signal is SIGINT (Ctrl-C): as graceful as SIGTERM, so the process waits for the held call.
    service.signal('SIGINT');
    await service.waitForOutput(/shutting down on SIGINT/);
    expect(() => process.kill(service.pid, 0), 'the process still running after a first SIGINT').not.toThrow();
    const secondAt = Date.now();
    service.signal('SIGTERM');
    const code = await service.waitForExit();
    const exitMs = Date.now() - secondAt;
    expect(code, 'the exit code promised for a second signal (docs/guarantees.md)').toBe(130);
    expect(exitMs, 'exit after the second signal (ms)').toBeLessThan(15_000);
    expect(service.log).toMatch(/second SIGTERM: exiting now/);
    // The provider created the task but the answer never got back: the request is still open.
    expect(await parts.simulator.tasksFor(request.keyId)).toHaveLength(1);
    const open = await parts.db.one(`SELECT status, outcome_unknown FROM resend_request WHERE request_id = $1`, [request.requestId]);
    expect(open).toEqual({ status: 'in_progress', outcome_unknown: true });
    await parts.simulator.release();

    // A new instance resumes it once the lease expires, finds the task by name, completes without a second call.
    const next = await parts.start('forced-next');
    const report = await waitUntilSettled([request], parts, 90_000);
    recordScenario('second signal during shutdown', 'held call, SIGINT then SIGTERM', report, startedAt);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    const row = await parts.db.one(`SELECT status, resolved_by_lookup FROM resend_request WHERE request_id = $1`, [request.requestId]);
    expect(row).toEqual({ status: 'completed', resolved_by_lookup: true });
    expect(await parts.simulator.tasksFor(request.keyId)).toHaveLength(1);
    expect(completedEvents(request.requestId)).toHaveLength(1);
    expect(await next.stop()).toBe(0);
  });

  it('SIGTERM with a provider call running past SHUTDOWN_GRACE_MS: exits 0 within the grace period and the relay flush, leaving the call to lease expiry', async () => {
    const graceMs = 2_000;
    const service = await parts.start('grace', { SHUTDOWN_GRACE_MS: String(graceMs), ITNIOTECH_TIMEOUT_MS: '120000' });
    const request = sampleRequest();
    await parts.simulator.addFault({ match: { keyId: request.keyId }, times: 1, hold: true });
    await parts.kafka.sendJson(TOPICS.requested, request);
    await waitFor('the provider call to be held', async () => (await parts.simulator.held()).count === 1, 60_000);

    const stopAt = Date.now();
    service.signal('SIGTERM');
    const code = await service.waitForExit();
    // Calls in flight get the grace period, the relay's final flush at most 5 s more; a few seconds for the rest.
    expect(Date.now() - stopAt, 'time to exit after SIGTERM (ms)').toBeLessThan(graceMs + 5_000 + 3_000);
    expect(code).toBe(0);
    expect(service.log).toMatch(new RegExp(`1 provider calls still in flight after ${graceMs} ms`));
    // The call was cut short: the request keeps its in-flight mark, for the next instance to look up.
    const open = await parts.db.one(`SELECT status, outcome_unknown FROM resend_request WHERE request_id = $1`, [request.requestId]);
    expect(open).toEqual({ status: 'in_progress', outcome_unknown: true });

    await parts.simulator.release();
    const next = await parts.start('grace-next');
    const report = await waitUntilSettled([request], parts, 90_000);
    expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(await parts.db.one(`SELECT resolved_by_lookup FROM resend_request WHERE request_id = $1`, [request.requestId])).toEqual({
      resolved_by_lookup: true,
    });
    expect(await next.stop()).toBe(0);
  });

  it('SIGTERM while the database is unreachable: exits within the grace period instead of waiting for it; the message is redelivered and completes once', async () => {
    const startedAt = Date.now();
    const databaseUrl = new URL(e2e.databaseUrl);
    const proxy = await TcpProxy.start(`tcp://${databaseUrl.hostname}:${databaseUrl.port || 5432}`);
    try {
      const throughProxy = new URL(databaseUrl);
      throughProxy.host = `127.0.0.1:${new URL(proxy.url).port}`;
      const service = await parts.start('db-down', { DATABASE_URL: throughProxy.toString(), SHUTDOWN_GRACE_MS: '5000' });
      await proxy.close();
      const request = sampleRequest();
      await parts.kafka.sendJson(TOPICS.requested, request);
      // Intake holds the message and waits for the database (its offset is not committed).
      await service.waitForOutput(new RegExp(`cannot record ${TOPICS.requested.replaceAll('.', '\\.')}\\[\\d+\\]@\\d+ yet`), 60_000);

      const stopAt = Date.now();
      service.signal('SIGTERM');
      const exited = await Promise.race([
        service.waitForExit().then((code) => ({ code })),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
      ]);
      expect(exited, 'the process exits while the database is still down').not.toBeNull();
      expect(Date.now() - stopAt, 'time to exit after SIGTERM (ms)').toBeLessThan(30_000);

      // The database is back for the next instance; the message was not committed, so it is read again.
      const next = await parts.start('db-down-next');
      const report = await waitUntilSettled([request], parts, 90_000);
      recordScenario('SIGTERM while the database is down', 'database unreachable, SIGTERM', report, startedAt);
      expect(report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
      expect(await parts.simulator.tasksFor(request.keyId)).toHaveLength(1);
      expect(await next.stop()).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('retention: published outbox rows older than OUTBOX_RETENTION_DAYS are pruned at start; unpublished and recent rows stay', async () => {
    await createScratchTopic();
    // Outcome rows of real requests, published just now.
    const requests = [sampleRequest(), sampleRequest(), sampleRequest()];
    const first = await parts.start('retention-warmup');
    for (const request of requests) await parts.kafka.sendJson(TOPICS.requested, request);
    const report = await waitUntilSettled(requests, parts, 90_000);
    expect(report.lost).toEqual([]);
    expect(await first.stop()).toBe(0);
    const ids = await Promise.all(requests.map(async (request) => completedEvents(request.requestId)[0]!.headers.ce_id!));

    // Two published 8 days ago (older than the 7 days kept), one 6 days ago (kept).
    await parts.db.rows(`UPDATE outbox_event SET published_at = now() - interval '8 days' WHERE id = ANY($1)`, [ids.slice(0, 2)]);
    await parts.db.rows(`UPDATE outbox_event SET published_at = now() - interval '6 days' WHERE id = $1`, [ids[2]]);
    // Unpublished for 30 days (e.g. Kafka refused it all along): never pruned. Held locked, as a relay
    // elsewhere publishing it would, so that it is still unpublished when the new instance prunes.
    const stuckId = randomUUID();
    await parts.db.rows(
      `INSERT INTO outbox_event (id, topic, message_key, message_value, headers, created_at)
       VALUES ($1, $2, NULL, '\\x7b7d', '{}', now() - interval '30 days')`,
      [stuckId, SCRATCH_TOPIC],
    );
    const locker = new pg.Client({ connectionString: e2e.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM outbox_event WHERE id = $1 FOR UPDATE`, [stuckId]);

      const pruner = await parts.start('retention', { OUTBOX_RETENTION_DAYS: '7' });
      await waitFor(
        'the old published rows to be pruned',
        async () => (await parts.db.rows(`SELECT id FROM outbox_event WHERE id = ANY($1)`, [ids.slice(0, 2)])).length === 0,
        60_000,
      );
      await pruner.waitForOutput(/pruned \d+ published outbox rows older than 7 days/);
      expect(await parts.db.rows(`SELECT id FROM outbox_event WHERE id = $1`, [ids[2]])).toHaveLength(1);
      expect(await parts.db.one(`SELECT published_at FROM outbox_event WHERE id = $1`, [stuckId])).toEqual({ published_at: null });
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    // Unlocked, the running relay publishes it (to the scratch topic); still not pruned: it is recent now.
    await waitFor(
      'the unlocked row to be published',
      async () => (await parts.db.one(`SELECT published_at FROM outbox_event WHERE id = $1`, [stuckId]))?.published_at !== null,
      60_000,
    );
    // The requests themselves keep their audit record: only the outbox copy of their event is gone.
    const rows = await parts.db.rows(`SELECT status FROM resend_request WHERE request_id = ANY($1)`, [requests.map((r) => r.requestId)]);
    expect(rows.map((row) => row.status)).toEqual(['completed', 'completed', 'completed']);
    const after = await checkInvariants(requests, parts);
    expect(after).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
  });

  async function createScratchTopic() {
    await createTopics(e2e.kafkaBrokers, [SCRATCH_TOPIC], 1);
  }
});
