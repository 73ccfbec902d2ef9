import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatabaseGauges } from './database-gauges.js';

/** A DataSource whose transactions answer with these counts while `answering`, and never otherwise. */
function database(counts: { pending: number; backlog: number; oldestAgeSeconds: number }) {
  const state = { answering: true };
  const dataSource = {
    isInitialized: true,
    transaction: (work: (transaction: { query: (sql: string) => Promise<unknown> }) => Promise<unknown>) => {
      if (!state.answering) return new Promise(() => undefined);
      return work({
        query: (sql: string) => {
          if (sql.includes('FROM resend_request')) return Promise.resolve([{ status: 'pending', count: String(counts.pending) }]);
          if (sql.includes('FROM outbox_event'))
            return Promise.resolve([{ backlog: String(counts.backlog), oldest_age_seconds: String(counts.oldestAgeSeconds) }]);
          return Promise.resolve([]);
        },
      });
    },
  };
  return { dataSource: dataSource as unknown as DataSource, state };
}

describe('DatabaseGauges', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("answers a scrape when the database does not, within its timeout, with the gauges' last values", async () => {
    const registry = new Registry();
    const { dataSource, state } = database({ pending: 7, backlog: 3, oldestAgeSeconds: 42 });
    new DatabaseGauges(registry, dataSource);
    const first = await registry.metrics();
    expect(first).toContain('resend_relay_requests{status="pending"} 7');
    expect(first).toContain('resend_relay_outbox_backlog 3');
    expect(first).toContain('resend_relay_outbox_oldest_unpublished_age_seconds 42');

    // The database stops answering: the next scrape waits for it at most its timeout.
    state.answering = false;
    vi.advanceTimersByTime(5_000);
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
