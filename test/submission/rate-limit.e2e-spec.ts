import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../apps/itniotech-simulator/src/call-journal.js';
import { TestDatabase } from '../support/database.js';
import { waitUntilSettled } from '../support/invariants.js';
import { KafkaTestClient } from '../support/kafka-test-client.js';
import { sampleRequest } from '../support/requests.js';
import { publishRequests, recordedCount, scenarioTopic, stableMembers, terminalCount } from '../support/scenario-kit.js';
import { ServiceProcess } from '../support/service-process.js';
import { SimulatorProcess } from '../support/simulator-process.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const INSTANCES = 3;
/**
 * The numbers by default: 2,000 requests, a provider limit of 50 calls per clock second
 * (then -15), a configured rate of 80% of it (40/s) and an adaptive ceiling of twice it (100/s,
 * the default). On a machine too loaded to drive 50 calls/s, scale them down to see the limits
 * bind, e.g. RATE_LIMIT_E2E_PROVIDER_PER_SECOND=10 RATE_LIMIT_E2E_REQUESTS=500. On a machine
 * whose scheduling stalls bunch calls (a third more in one second than the rate), give the
 * configured rate more room below the provider's limit: RATE_LIMIT_E2E_CONFIGURED_SHARE=0.6.
 */
const REQUESTS = Number(process.env.RATE_LIMIT_E2E_REQUESTS ?? 2_000);
const PROVIDER_LIMIT_PER_SECOND = Number(process.env.RATE_LIMIT_E2E_PROVIDER_PER_SECOND ?? 50);
const CONFIGURED_RATE = PROVIDER_LIMIT_PER_SECOND * Number(process.env.RATE_LIMIT_E2E_CONFIGURED_SHARE ?? 0.8);

/**
 * The provider call budget shared by three instances, against a simulator that answers -15
 * above 50 calls per clock second: with a configured rate no call is refused and the rate is
 * kept; with no configured rate, adaptive mode finds one that the provider accepts. Either
 * way every request completes exactly once.
 */
describe('rate limit: three instances share one provider call budget', () => {
  const brokers = e2e.kafkaBrokers;
  let db: TestDatabase;
  let watcher: KafkaTestClient;
  let producer: KafkaTestClient;
  let simulator: SimulatorProcess | undefined;
  let instances: ServiceProcess[] = [];

  beforeAll(async () => {
    db = new TestDatabase();
    watcher = new KafkaTestClient(brokers);
    await watcher.watch([TOPICS.completed, TOPICS.failed]);
    producer = new KafkaTestClient(brokers);
  });

  afterEach(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await simulator?.close();
    simulator = undefined;
  });

  afterAll(async () => {
    await producer?.close();
    await watcher?.close();
    await db?.close();
  });

  it(`ITNIOTECH_MAX_CALLS_PER_SECOND=${CONFIGURED_RATE}: ${REQUESTS} requests, no -15 answer, the rate kept within ± 10%`, async () => {
    const run = await runScenario('limit', { ITNIOTECH_MAX_CALLS_PER_SECOND: String(CONFIGURED_RATE) });
    const measured = analyse(run.calls, 0);
    console.log(
      `rate limit ${CONFIGURED_RATE}/s (provider ${PROVIDER_LIMIT_PER_SECOND}/s): ${summary(measured)}; ` +
        `${run.seconds.toFixed(1)} s end to end`,
      run.report.byStatus,
    );

    expect(run.report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(run.report.byStatus).toEqual({ completed: REQUESTS });
    expect(measured.throttled).toBe(0);
    // The budget, not the machine, set the pace: while the calls went at the configured rate,
    // more than five seconds' worth of recorded requests waited for their turn.
    expect(run.mostWaiting, 'recorded requests waiting for a call at once').toBeGreaterThan(CONFIGURED_RATE * 5);
    // The bound: the measured rate (calls over the span between the first and the last
    // arrival at the simulator) is the configured one ± 10%.
    expect(measured.callsPerSecond).toBeGreaterThanOrEqual(CONFIGURED_RATE * 0.9);
    expect(measured.callsPerSecond).toBeLessThanOrEqual(CONFIGURED_RATE * 1.1);
  }, 300_000);

  it(`no configured rate, adaptive mode: ${REQUESTS} requests, -15 answers under 5% after the first 10 s`, async () => {
    const run = await runScenario('adaptive', {
      ITNIOTECH_ADAPTIVE_RATE: 'true',
      ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND: String(PROVIDER_LIMIT_PER_SECOND * 2),
      // -15 answers are retried like any temporary refusal; the first seconds may refuse a request a few times.
      SUBMISSION_MAX_ATTEMPTS: '20',
    });
    const all = analyse(run.calls, 0);
    const afterWarmUp = analyse(run.calls, 10_000);
    const rateChanges = instances.flatMap((instance) => instance.log.match(/provider call rate \(all instances\) [^"]*/g) ?? []);
    console.log(
      `adaptive, no configured rate: all calls ${summary(all)}; after the first 10 s ${summary(afterWarmUp)}; ` +
        `${run.seconds.toFixed(1)} s end to end; ${rateChanges.length} logged rate changes`,
      rateChanges.slice(0, 10),
      run.report.byStatus,
    );

    expect(run.report).toMatchObject({ lost: [], duplicateTasks: 0, duplicateEventIds: [] });
    expect(run.report.byStatus).toEqual({ completed: REQUESTS });
    // The provider's limit was reached (the adaptive ceiling is twice it), so there was something to adapt to ...
    expect(all.throttled, '-15 answers in the whole run').toBeGreaterThan(0);
    // ... and the refusals cut the shared rate, after which they stayed rare.
    expect(rateChanges.some((line) => line.includes(' cut from '))).toBe(true);
    expect(afterWarmUp.throttled / afterWarmUp.calls).toBeLessThan(0.05);
  }, 300_000);

  /** Starts the simulator and three instances with `env`, sends the requests, waits until all are settled. */
  async function runScenario(name: string, env: Record<string, string>) {
    // The budget row is shared by every test: start from an empty bucket and no learned rate.
    await db.rows(
      `UPDATE provider_call_budget SET tokens = 0, refilled_at = now(), rate = NULL, rate_version = 0, rate_changed_at = now(),
              cut_at = NULL, throttled_at = NULL, throttles = 0`,
    );
    // In a process of its own, as the provider is: calls are counted when they arrive, not when the test runner gets round to them.
    simulator = await SimulatorProcess.start({ SIMULATOR_RATE_LIMIT_PER_SECOND: String(PROVIDER_LIMIT_PER_SECOND) });
    const scenario = await scenarioTopic(brokers, `rate-${name}`, 6);
    const suffix = randomBytes(2).toString('hex');
    instances = await Promise.all(
      Array.from({ length: INSTANCES }, (_, index) =>
        ServiceProcess.start(`rate-${name}-${suffix}-${index + 1}`, simulator!.url, {
          ...scenario.env,
          SUBMISSION_LEASE_MS: '30000',
          ...env,
        }),
      ),
    );
    await waitFor(
      `${INSTANCES} members in the consumer group`,
      () => stableMembers(brokers, scenario.groupId).then((n) => n === INSTANCES),
      90_000,
      500,
    );

    const sent = Array.from({ length: REQUESTS }, () => sampleRequest());
    const startedAt = Date.now();
    await publishRequests(producer, scenario.topic, sent);
    let mostWaiting = 0;
    await waitFor(
      `${REQUESTS} requests to be decided`,
      async () => {
        const [recorded, decided] = await Promise.all([recordedCount(db, sent), terminalCount(db, sent)]);
        mostWaiting = Math.max(mostWaiting, recorded - decided);
        return decided === REQUESTS;
      },
      240_000,
      1_000,
    );
    const seconds = (Date.now() - startedAt) / 1000;
    const report = await waitUntilSettled(sent, { db, kafka: watcher, simulator }, 60_000);
    // A simulator of its own: every call it received is this scenario's (submits and lookups).
    const { calls } = await simulator.calls();
    return { report, calls, seconds, mostWaiting };
  }
});

interface CallRate {
  calls: number;
  throttled: number;
  spanSeconds: number;
  callsPerSecond: number;
  /** The most calls the provider received within any one second. */
  busiestSecond: number;
}

/** Calls received from `skipMs` after the first call on: how many, how many refused -15, and their rate. */
function analyse(calls: CallRecord[], skipMs: number): CallRate {
  const times = calls.map((call) => Date.parse(call.receivedAt)).sort((a, b) => a - b);
  const from = (times[0] ?? 0) + skipMs;
  const counted = calls.filter((call) => Date.parse(call.receivedAt) >= from);
  const countedTimes = times.filter((time) => time >= from);
  const spanSeconds = countedTimes.length > 1 ? (countedTimes.at(-1)! - countedTimes[0]!) / 1000 : 0;
  let busiestSecond = 0;
  for (let start = 0, end = 0; start < countedTimes.length; start += 1) {
    while (end < countedTimes.length && countedTimes[end]! - countedTimes[start]! < 1000) end += 1;
    busiestSecond = Math.max(busiestSecond, end - start);
  }
  return {
    calls: counted.length,
    throttled: counted.filter((call) => call.answer?.kind === 'answered' && call.answer.status === '-15').length,
    spanSeconds,
    callsPerSecond: spanSeconds > 0 ? counted.length / spanSeconds : 0,
    busiestSecond,
  };
}

function summary(rate: CallRate): string {
  return (
    `${rate.calls} calls in ${rate.spanSeconds.toFixed(1)} s = ${rate.callsPerSecond.toFixed(1)} calls/s ` +
    `(busiest second ${rate.busiestSecond}), ${rate.throttled} answered -15`
  );
}
