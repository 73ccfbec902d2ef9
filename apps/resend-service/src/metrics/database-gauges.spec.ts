import type { SqlStatement, SqlTransaction } from '#sql';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sql } from '../database/sql.js';
import { DatabaseGauges } from './database-gauges.js';
import { countLiveRequests, measureOutboxBacklog } from './database-gauges.sql.js';

/** A database whose transactions answer with these counts while `answering`, and never otherwise. */
function database(counts: { pending: number; backlog: number; oldestAgeSeconds: number }) {
  const state = { answering: true, connected: true };
  const answer = (statement: SqlStatement) => {
    if (statement === countLiveRequests) return [{ status: 'pending', count: String(counts.pending) }];
    if (statement === measureOutboxBacklog)
      return [{ backlog: String(counts.backlog), oldest_age_seconds: String(counts.oldestAgeSeconds) }];
    throw new Error(`unexpected statement ${statement.name}`);
  };
  const sql = {
    transaction: (work: (transaction: SqlTransaction) => Promise<unknown>) => {
      if (!state.answering) return new Promise(() => undefined);
      return work({ send: () => undefined, query: async (statement: SqlStatement) => answer(statement) } as unknown as SqlTransaction);
    },
  } as unknown as Sql;
  const dataSource = {
    get isInitialized() {
      return state.connected;
    },
  } as DataSource;
  return { sql, dataSource, state };
}

describe('DatabaseGauges', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("answers a scrape when the database does not, within its timeout, with the gauges' last values", async () => {
    const registry = new Registry();
    const { sql, dataSource, state } = database({ pending: 7, backlog: 3, oldestAgeSeconds: 42 });
    new DatabaseGauges(registry, sql, dataSource);
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

  it('leaves the database alone until it is connected, and answers the scrape without the database series', async () => {
    const registry = new Registry();
    const { sql, dataSource, state } = database({ pending: 7, backlog: 3, oldestAgeSeconds: 42 });
    state.connected = false;
    const transaction = vi.spyOn(sql, 'transaction');
    new DatabaseGauges(registry, sql, dataSource);
    const text = await registry.metrics();
    expect(transaction).not.toHaveBeenCalled();
    expect(text).not.toContain('resend_relay_requests{');
  });
});
