import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import type { KafkaAdmin } from '../kafka/kafka-admin.js';
import { ConsumerLagGauge } from './consumer-lag-gauge.js';

const config = loadConfig({ ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret' });

describe('ConsumerLagGauge', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("answers a scrape when Kafka does not, within its timeout, with the gauge's last values", async () => {
    const kafka = { answering: true };
    const admin = {
      consumerLag: () =>
        kafka.answering
          ? Promise.resolve([
              { partition: 0, lag: 5 },
              { partition: 1, lag: 0 },
            ])
          : new Promise(() => undefined),
    };
    const registry = new Registry();
    new ConsumerLagGauge(registry, config, admin as unknown as KafkaAdmin);
    const first = await registry.metrics();
    expect(first).toContain(`resend_relay_consumer_lag{topic="${config.topics.requested}",partition="0"} 5`);

    // Kafka stops answering, and the cached answer is too old: the scrape waits for Kafka at most 2 s.
    kafka.answering = false;
    vi.advanceTimersByTime(10_000);
    let answered = false;
    const second = registry.metrics().then((text) => {
      answered = true;
      return text;
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(answered).toBe(true);
    expect(await second).toEqual(first);
  });
});
