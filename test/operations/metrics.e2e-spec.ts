import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedDatabase } from '../support/database.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { MetricsScrape } from '../support/prometheus-text.js';
import { sampleRequest } from '../support/requests.js';
import { scenarioTopic } from '../support/scenario-kit.js';
import { waitFor } from '../support/wait-for.js';
import { e2e, TOPICS } from '../support/e2e-context.js';

const { completed, failed } = TOPICS;

/**
 * `GET /metrics` as Prometheus scrapes it, against the real flow (Kafka, Postgres, the simulator over HTTP).
 * The exact deltas below need a service that sees nothing but this file's requests: its own request
 * topic and consumer group, and its own database (no other file's requests still retrying in it).
 */
describe('metrics at GET /metrics', () => {
  let flow: FlowFixture;
  let database: IsolatedDatabase;
  let requested: string;

  beforeAll(async () => {
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'metrics');
    requested = scenario.topic;
    database = await IsolatedDatabase.create('metrics');
    flow = await startFlow({ service: { ...scenario.env, ...database.settings } });
  });

  afterAll(async () => {
    await flow?.close();
    await database?.drop();
  });

  const scrape = () => MetricsScrape.of(flow.service.url);

  it('exposes the flow metrics, their zero series and the process metrics, all prefixed resend_relay_', async () => {
    const metrics = await scrape();
    for (const name of [
      'resend_relay_messages_consumed_total',
      'resend_relay_outcomes_total',
      'resend_relay_dead_letters_total',
      'resend_relay_retries_scheduled_total',
      'resend_relay_provider_calls_total',
      'resend_relay_provider_call_duration_seconds_count',
      'resend_relay_provider_calls_in_flight',
      'resend_relay_requests',
      'resend_relay_outbox_backlog',
      'resend_relay_outbox_oldest_unpublished_age_seconds',
      'resend_relay_consumer_lag',
      'resend_relay_process_cpu_user_seconds_total',
      'resend_relay_nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics.names(), name).toContain(name);
    }
    expect([...metrics.names()].filter((name) => !name.startsWith('resend_relay_'))).toEqual([]);
    expect(metrics.value('resend_relay_outcomes_total', { topic: failed, category: 'retries_exhausted' })).toBe(0);
    expect(metrics.all('resend_relay_consumer_lag').map((series) => series.labels)).toContainEqual({ topic: requested, partition: '0' });
  });

  it('moves as one request flows: consumed pending, one submit call timed, one completed outcome, backlog drained', async () => {
    const before = await scrape();
    const sent = sampleRequest();
    await flow.kafka.sendJson(requested, sent);
    await flow.kafka.waitForMessages(completed, (m) => m.json?.requestId === sent.requestId);

    // The outcome counter moves after the commit; the relay may publish within the same moment.
    const after = await waitFor('the completed outcome to be counted', async () => {
      const metrics = await scrape();
      return delta(before, metrics, 'resend_relay_outcomes_total', { topic: completed, category: 'none' }) >= 1 && metrics;
    });
    expect(delta(before, after, 'resend_relay_outcomes_total', { topic: completed, category: 'none' })).toBe(1);
    expect(delta(before, after, 'resend_relay_messages_consumed_total', { result: 'pending' })).toBe(1);
    expect(delta(before, after, 'resend_relay_provider_calls_total', { kind: 'submit', outcome: 'accepted' })).toBe(1);
    expect(delta(before, after, 'resend_relay_provider_call_duration_seconds_count', { kind: 'submit' })).toBe(1);
    expect(delta(before, after, 'resend_relay_provider_call_duration_seconds_sum', { kind: 'submit' })).toBeGreaterThan(0);
    expect(after.value('resend_relay_provider_calls_in_flight', { kind: 'submit' })).toBe(0);
    expect(delta(before, after, 'resend_relay_dead_letters_total')).toBe(0);

    // The database gauges: the request is finished and its outcome published.
    const drained = await waitFor('the outbox backlog to drain', async () => {
      const metrics = await scrape();
      return metrics.value('resend_relay_outbox_backlog') === 0 && metrics;
    });
    expect(drained.value('resend_relay_outbox_oldest_unpublished_age_seconds')).toBe(0);
    expect(drained.value('resend_relay_requests', { status: 'in_progress' })).toBe(0);
    // The consumer committed the message's offset: no lag left (cached for up to 5 s).
    await waitFor(
      'the consumer lag to be 0 on every partition',
      async () => {
        const lag = (await scrape()).all('resend_relay_consumer_lag');
        return lag.length > 0 && lag.every((series) => series.value === 0);
      },
      20_000,
      500,
    );
  });

  it('counts one dead letter, and the message as consumed and dead-lettered', async () => {
    const before = await scrape();
    await flow.kafka.send(requested, [{ key: `poison-${randomUUID()}`, value: 'this is { not JSON' }]);
    const after = await waitFor('the dead letter to be counted', async () => {
      const metrics = await scrape();
      return delta(before, metrics, 'resend_relay_dead_letters_total') >= 1 && metrics;
    });
    expect(delta(before, after, 'resend_relay_dead_letters_total')).toBe(1);
    expect(delta(before, after, 'resend_relay_messages_consumed_total', { result: 'dead_lettered' })).toBe(1);
    expect(delta(before, after, 'resend_relay_outcomes_total', { topic: completed, category: 'none' })).toBe(0);
  });

  it('counts a rejected request as a failed outcome of its category', async () => {
    const before = await scrape();
    const sent = sampleRequest({ maxCalls: 'forty' });
    await flow.kafka.sendJson(requested, sent);
    await flow.kafka.waitForMessages(failed, (m) => m.json?.requestId === sent.requestId);
    const after = await waitFor('the failed outcome to be counted', async () => {
      const metrics = await scrape();
      return delta(before, metrics, 'resend_relay_outcomes_total', { topic: failed, category: 'validation' }) >= 1 && metrics;
    });
    expect(delta(before, after, 'resend_relay_outcomes_total', { topic: failed, category: 'validation' })).toBe(1);
    expect(delta(before, after, 'resend_relay_messages_consumed_total', { result: 'rejected' })).toBe(1);
  });
});

function delta(before: MetricsScrape, after: MetricsScrape, name: string, labels: Record<string, string> = {}): number {
  return (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
}
