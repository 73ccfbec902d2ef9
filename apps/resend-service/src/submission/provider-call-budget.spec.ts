import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SqlStatement } from '#sql';
import type { AppConfig } from '../config/app-config.js';
import type { Sql } from '../database/sql.js';
import { ProviderCallBudget } from './provider-call-budget.js';
import { compareAndSetRate, recordThrottle, takeCalls, type BudgetRow } from './provider-call-budget.sql.js';

const config = { providerCalls: { maxPerSecond: 40, maxConcurrent: 0, adaptive: true, adaptiveCeilingPerSecond: 100 } } as AppConfig;

function row(overrides: Partial<BudgetRow>): BudgetRow {
  return {
    granted: 1,
    in_flight: 0,
    tokens: 1,
    rate: 40,
    rate_version: '1',
    throttles: '0',
    now_ms: 100_000,
    rate_changed_at_ms: 90_000,
    cut_at_ms: null,
    throttled_at_ms: null,
    ...overrides,
  };
}

/**
 * A budget whose database answers `seen` to the take or throttle statement and applies every rate
 * change (as the compare-and-set does when nobody changed the rate meanwhile), with a logger that
 * records each line under its level.
 */
function budgetSeeing(seen: BudgetRow) {
  const lines: { level: string; text: string }[] = [];
  const sql = {
    query: async (statement: SqlStatement, params: unknown[]) => {
      if (statement === takeCalls || statement === recordThrottle) return [seen];
      if (statement === compareAndSetRate) return [{ ...seen, rate: params[0] as number }];
      throw new Error(`unexpected statement ${statement.name}`);
    },
  } as unknown as Sql;
  const budget = new ProviderCallBudget(sql, config, new Registry());
  const record = (level: string) => (text: string) => void lines.push({ level, text });
  Object.assign(budget, { logger: { warn: record('warn'), log: record('log'), debug: record('debug'), error: record('error') } });
  return { budget, lines };
}

describe('ProviderCallBudget: log levels of adaptive rate changes (docs/provider.md)', () => {
  it('logs a cut at warn level, in the documented words', async () => {
    const { budget, lines } = budgetSeeing(row({ rate: 40 }));
    await budget.reportThrottled('submit');
    expect(lines).toEqual([{ level: 'warn', text: 'provider call rate (all instances) cut from 40.0 to 20.0 calls/s after a -15 answer' }]);
  });

  it('logs a raise that reaches the configured maximum again at info (log) level', async () => {
    const { budget, lines } = budgetSeeing(row({ rate: 39.2 }));
    await budget.take(1);
    expect(lines).toEqual([{ level: 'log', text: expect.stringContaining('raised from 39.2 to 40.0 calls/s') as string }]);
  });

  it('logs a raise that stays below the maximum at debug level only', async () => {
    const { budget, lines } = budgetSeeing(row({ rate: 20 }));
    await budget.take(1);
    expect(lines).toEqual([{ level: 'debug', text: 'provider call rate (all instances) raised from 20.0 to 20.8 calls/s' }]);
  });
});

describe('ProviderCallBudget: requests waiting for the budget use no attempt (docs/provider.md)', () => {
  // The claim statement is what counts an attempt (submission.sql.ts): a request the claim never asks for keeps its count.
  it('does not claim at all when the budget grants no call, and says when the next call is due', async () => {
    const { budget } = budgetSeeing(row({ granted: 0, tokens: 0.5, rate: 40, rate_changed_at_ms: 100_000 }));
    const limits: number[] = [];
    const { claimed, retryInMs } = await budget.claimWithin(5, async (limit) => (limits.push(limit), ['claimed']));
    expect(limits).toEqual([]);
    expect(claimed).toEqual([]);
    expect(retryInMs).toBeGreaterThan(0);
  });

  it('claims only as many requests as calls were granted; the rest stay unclaimed', async () => {
    const { budget } = budgetSeeing(row({ granted: 2, tokens: 0, rate: 40, rate_changed_at_ms: 100_000 }));
    const limits: number[] = [];
    const { claimed } = await budget.claimWithin(5, async (limit) => (limits.push(limit), Array.from({ length: limit }, (_, i) => i)));
    expect(limits).toEqual([2]);
    expect(claimed).toHaveLength(2);
  });
});

describe('ProviderCallBudget: resend_relay_provider_throttled_total (docs/operations.md)', () => {
  const throttled = async (registry: Registry) =>
    Object.fromEntries(
      ((await registry.getSingleMetric('resend_relay_provider_throttled_total')?.get())?.values ?? []).map((value) => [
        value.labels.kind,
        value.value,
      ]),
    );

  it('counts each -15 or 429 answer by the kind of call, from a zero series for both kinds', async () => {
    const registry = new Registry();
    const sql = { query: async () => [row({ rate: 40 })] } as unknown as Sql;
    const budget = new ProviderCallBudget(sql, config, registry);
    expect(await throttled(registry)).toEqual({ submit: 0, lookup: 0 });
    await budget.reportThrottled('submit');
    await budget.reportThrottled('submit');
    await budget.reportThrottled('lookup');
    expect(await throttled(registry)).toEqual({ submit: 2, lookup: 1 });
  });

  it('counts them with no limit configured too, where the budget itself ignores them', async () => {
    const registry = new Registry();
    const untouched = { query: async () => expect.unreachable('no limit: the database is not asked') } as unknown as Sql;
    const unlimited = { providerCalls: { maxPerSecond: 0, maxConcurrent: 0, adaptive: false, adaptiveCeilingPerSecond: 100 } } as AppConfig;
    await new ProviderCallBudget(untouched, unlimited, registry).reportThrottled('lookup');
    expect(await throttled(registry)).toEqual({ submit: 0, lookup: 1 });
  });
});
