import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../apps/resend-service/src/config/app-config.js';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';
import { Sql } from '../../apps/resend-service/src/database/sql.js';
import { ProviderCallBudget } from '../../apps/resend-service/src/submission/provider-call-budget.js';
import { TestDatabase } from '../support/database.js';
import { e2e } from '../support/e2e-context.js';

/**
 * The shared provider call budget against the real database: the statements of
 * provider-call-budget.sql.ts as several instances would run them (one ProviderCallBudget per
 * instance, one row between them). Elapsed time is simulated by moving the row's timestamps back.
 */
describe('provider call budget (shared by all instances)', () => {
  let dataSource: DataSource;
  let sql: Sql;
  let db: TestDatabase;
  const inFlightRows: string[] = [];

  const budget = (env: Record<string, string>, registry = new Registry()) =>
    new ProviderCallBudget(sql, loadConfig({ ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret', ...env }), registry);
  const rateGauge = async (registry: Registry) =>
    (await registry.getSingleMetric('resend_relay_provider_call_rate')?.get())?.values[0]?.value;
  const row = async () =>
    (await db.one<{ tokens: number; rate: number | null; throttles: string; cut_at: Date | null }>(
      `SELECT tokens, rate, throttles, cut_at FROM provider_call_budget WHERE id = 1`,
    ))!;
  /** As if `seconds` had passed since the last refill and the last rate change or -15. */
  const elapse = (seconds: number) =>
    db.rows(
      `UPDATE provider_call_budget SET refilled_at = refilled_at - make_interval(secs => $1),
              rate_changed_at = rate_changed_at - make_interval(secs => $1),
              throttled_at = throttled_at - make_interval(secs => $1), cut_at = cut_at - make_interval(secs => $1)`,
      [seconds],
    );

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(e2e.databaseUrl, 4)).initialize();
    sql = new Sql(dataSource);
    db = new TestDatabase();
  });

  beforeEach(async () => {
    await db.rows(
      `UPDATE provider_call_budget SET tokens = 0, refilled_at = now(), rate = NULL, rate_version = 0, rate_changed_at = now(),
              cut_at = NULL, throttled_at = NULL, throttles = 0, granted = 0, in_flight = 0`,
    );
  });

  afterAll(async () => {
    await db?.rows(`DELETE FROM resend_request WHERE id = ANY($1)`, [inFlightRows]);
    await db?.rows(
      `UPDATE provider_call_budget SET tokens = 0, rate = NULL, rate_version = 0, throttles = 0, cut_at = NULL, throttled_at = NULL`,
    );
    await db?.close();
    await dataSource?.destroy();
  });

  it('with no limit configured grants everything without touching the database', async () => {
    const unlimited = budget({});
    expect(await unlimited.take(7)).toEqual({ calls: 7, retryInMs: null });
    expect(unlimited.currentRate).toBeNull();
    expect((await db.one<{ granted: number }>(`SELECT granted FROM provider_call_budget`))!.granted).toBe(0);
  });

  it('grants at most the burst after an idle period, then the rate; says when the next call is due', async () => {
    const instance = budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '100', ITNIOTECH_ADAPTIVE_RATE: 'false' });
    await instance.take(1); // sets the rate
    await elapse(60);
    const first = await instance.take(50);
    expect(first.calls).toBe(10); // 0.1 s of 100 calls/s, however long the idle period
    expect(first.retryInMs).toBeGreaterThan(0);
    expect(first.retryInMs).toBeLessThanOrEqual(20);
    await elapse(0.05);
    const second = await instance.take(50);
    expect(second.calls).toBeGreaterThanOrEqual(5); // 0.05 s later: 5 calls, plus the few ms the statements took
    expect(second.calls).toBeLessThanOrEqual(10); // and never more than the burst
  });

  it('never grants more than rate × elapsed + burst to several instances taking at once', async () => {
    const instances = [1, 2, 3].map(() => budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '50', ITNIOTECH_ADAPTIVE_RATE: 'false' }));
    await instances[0]!.take(1);
    await elapse(60);
    const startedAt = Date.now();
    let granted = 0;
    while (Date.now() - startedAt < 1_000) {
      const grants = await Promise.all(instances.map((instance) => instance.take(8)));
      granted += grants.reduce((sum, grant) => sum + grant.calls, 0);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    expect(granted).toBeLessThanOrEqual(Math.floor(50 * seconds) + 5);
    expect(granted).toBeGreaterThan(0);
  });

  it('takes back what a claim did not use', async () => {
    const instance = budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '100', ITNIOTECH_ADAPTIVE_RATE: 'false' });
    await instance.take(1);
    await elapse(60);
    const result = await instance.claimWithin(10, async (limit) => Array.from({ length: limit - 7 }, (_, index) => index));
    expect(result.claimed).toHaveLength(3);
    expect((await row()).tokens).toBeGreaterThanOrEqual(7);
    expect((await instance.take(50)).calls).toBeGreaterThanOrEqual(7);
  });

  it('gives back everything when the claim fails', async () => {
    const instance = budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '100', ITNIOTECH_ADAPTIVE_RATE: 'false' });
    await instance.take(1);
    await elapse(60);
    await expect(instance.claimWithin(10, () => Promise.reject(new Error('database gone')))).rejects.toThrow('database gone');
    expect((await row()).tokens).toBeGreaterThanOrEqual(10);
  });

  it('limits concurrency by the calls in flight in all instances (in_progress, lease not expired)', async () => {
    await insertRequest('in_progress', "now() + interval '1 minute'");
    await insertRequest('in_progress', "now() + interval '1 minute'");
    await insertRequest('in_progress', "now() - interval '1 minute'"); // its worker died: not in flight
    await insertRequest('pending', 'NULL');
    const instance = budget({ ITNIOTECH_MAX_CONCURRENT_CALLS: '5' });
    expect(await instance.take(10)).toEqual({ calls: 3, retryInMs: null });
    const full = budget({ ITNIOTECH_MAX_CONCURRENT_CALLS: '2' });
    expect(await full.take(10)).toEqual({ calls: 0, retryInMs: null });
  });

  it('adaptive: a burst of -15 answers from several instances cuts the shared rate once', async () => {
    const instances = [1, 2, 3].map(() => budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '40' }));
    await Promise.all(instances.map((instance) => instance.take(1)));
    expect((await row()).rate).toBe(40);
    await Promise.all(instances.flatMap((instance) => [instance.reportThrottled('submit'), instance.reportThrottled('submit')]));
    const afterBurst = await row();
    expect(afterBurst.rate).toBe(20);
    expect(afterBurst.throttles).toBe('6');
    await instances[0]!.take(1);
    expect(instances[0]!.currentRate).toBe(20);
    // After the cooldown, a further -15 cuts again.
    await elapse(2.5);
    await instances[1]!.reportThrottled('submit');
    expect((await row()).rate).toBe(10);
  });

  it('exposes the shared rate as resend_relay_provider_call_rate: the configured one, then the cut one; none without a limit', async () => {
    const registries = [new Registry(), new Registry()];
    const [first, second] = registries.map((registry) => budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '40' }, registry));
    expect(await rateGauge(registries[0]!)).toBe(40);
    await second!.take(1);
    await second!.reportThrottled('submit');
    // The first instance sees the cut at its next claim.
    await first!.take(1);
    expect(await rateGauge(registries[0]!)).toBe(20);
    const unlimited = new Registry();
    budget({}, unlimited);
    expect(unlimited.getSingleMetric('resend_relay_provider_call_rate')).toBeUndefined();
  });

  it('adaptive: calm seconds raise the rate additively, up to the configured maximum', async () => {
    const instance = budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '40' });
    await instance.take(1);
    await instance.reportThrottled('submit');
    expect((await row()).rate).toBe(20);
    await instance.take(1); // less than a calm second later: no raise
    expect((await row()).rate).toBe(20);
    await elapse(1.5);
    await instance.take(1);
    expect((await row()).rate).toBeCloseTo(20.8);
    await db.rows(`UPDATE provider_call_budget SET rate = 39.9`);
    await elapse(1.5);
    await instance.take(1);
    expect((await row()).rate).toBe(40);
  });

  it('adaptive without a configured maximum starts at the ceiling', async () => {
    const instance = budget({ ITNIOTECH_ADAPTIVE_RATE: 'true', ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND: '60' });
    await instance.take(1);
    expect(instance.currentRate).toBe(60);
    await instance.reportThrottled('submit');
    expect((await row()).rate).toBe(30);
  });

  it('non-adaptive: a -15 is counted but the configured rate stays', async () => {
    const instance = budget({ ITNIOTECH_MAX_CALLS_PER_SECOND: '40', ITNIOTECH_ADAPTIVE_RATE: 'false' });
    await instance.take(1);
    await instance.reportThrottled('submit');
    expect(await row()).toMatchObject({ rate: 40, throttles: '1', cut_at: null });
  });

  async function insertRequest(status: string, leaseExpiresAt: string): Promise<void> {
    const id = randomUUID();
    inFlightRows.push(id);
    await db.rows(
      `INSERT INTO resend_request (id, request_id, status, payload, provider_body, next_attempt_at, lease_expires_at, kafka_topic, kafka_partition, kafka_offset)
       VALUES ($1, $2, $3, '{}', '{}', now() + interval '1 hour', ${leaseExpiresAt}, 'budget-test', 0, (random() * 1e12)::bigint)`,
      [id, `budget-${id}`, status],
    );
  }
});
