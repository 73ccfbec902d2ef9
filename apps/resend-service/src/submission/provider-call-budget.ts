import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { SqlStatement } from '#sql';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import type { ProviderCallKind } from '../metrics/flow-metrics.js';
import { adaptiveRatePolicy, rateAfterCalm, rateAfterThrottle, type AdaptiveRatePolicy, type AdaptiveRateState } from './adaptive-rate.js';
import { chargeCalls, compareAndSetRate, giveBackCalls, recordThrottle, takeCalls, type BudgetRow } from './provider-call-budget.sql.js';

/**
 * The bucket holds at most this many seconds of the rate: a short burst after an idle moment,
 * small enough that a provider counting calls per clock second sees at most the rate plus a tenth.
 */
export const BURST_SECONDS = 0.1;
/**
 * ... and at least this many calls: with room for a single call, every millisecond a worker
 * wakes late for the next call would be lost, and a slow or loaded host would fall short of the rate.
 */
export const MIN_BURST_CALLS = 2;

/** What a claim batch may do now. */
export interface CallGrant {
  /** How many provider calls this instance may start now (each claimed request makes one). */
  calls: number;
  /** When the rate allowed fewer than wanted: ms until the next call is due; null otherwise. */
  retryInMs: number | null;
}

/**
 * The provider call budget shared by every instance using the database: a call rate
 * (ITNIOTECH_MAX_CALLS_PER_SECOND, a token bucket in the provider_call_budget row) and a
 * concurrency limit (ITNIOTECH_MAX_CONCURRENT_CALLS, counted from the requests in flight), for
 * submits and lookups alike. One statement per claim batch. In adaptive mode a -15 answer cuts
 * the shared rate and calm periods raise it back (adaptive-rate.ts).
 *
 * With no limit and adaptive mode off it grants everything without touching the database.
 */
@Injectable()
export class ProviderCallBudget {
  private readonly logger = new Logger(ProviderCallBudget.name);
  private readonly enabled: boolean;
  /** The configured rate, or the adaptive ceiling; null = no rate limit. */
  private readonly ceiling: number | null;
  private readonly policy: AdaptiveRatePolicy | null;
  private lastSeen: BudgetRow | null = null;
  private readonly throttled: Counter<'kind'>;

  constructor(
    private readonly sql: Sql,
    private readonly config: AppConfig,
    registry: Registry,
  ) {
    const { maxPerSecond, maxConcurrent, adaptive, adaptiveCeilingPerSecond } = config.providerCalls;
    this.ceiling = maxPerSecond > 0 ? maxPerSecond : adaptive ? adaptiveCeilingPerSecond : null;
    this.policy = adaptive && this.ceiling !== null ? adaptiveRatePolicy(this.ceiling) : null;
    this.enabled = this.ceiling !== null || maxConcurrent > 0;
    if (this.ceiling !== null) this.exposeRate(registry);
    this.throttled = new Counter({
      name: 'resend_relay_provider_throttled_total',
      help: 'Provider answers that said "too many calls" (-15, or HTTP 429), by kind of call (submit, lookup).',
      labelNames: ['kind'],
      registers: [registry],
    });
    for (const kind of ['submit', 'lookup'] as const) this.throttled.inc({ kind }, 0);
  }

  /** The shared rate as a gauge (only when there is one: no series means no rate limit). */
  private exposeRate(registry: Registry): void {
    const gauge: Gauge = new Gauge({
      name: 'resend_relay_provider_call_rate',
      help:
        'Provider calls per second all instances together may start, as this instance last saw the shared budget: ' +
        'the configured rate, or the adaptive rate (cut on -15, raised in calm periods).',
      registers: [registry],
      collect: () => gauge.set(this.currentRate ?? 0),
    });
  }

  /** A rate or concurrency limit is configured: every provider call must be granted by take(). */
  get limitsCalls(): boolean {
    return this.enabled;
  }

  /** Calls per second all instances together may start, as last seen; null = no rate limit. */
  get currentRate(): number | null {
    return this.lastSeen?.rate ?? this.ceiling;
  }

  /** How many provider calls this instance may start now, out of `wanted`. */
  async take(wanted: number): Promise<CallGrant> {
    if (!this.enabled || wanted <= 0) return { calls: Math.max(0, wanted), retryInMs: null };
    const row = await this.run(takeCalls, [
      wanted,
      this.config.providerCalls.maxConcurrent,
      this.ceiling,
      this.policy !== null,
      BURST_SECONDS,
      MIN_BURST_CALLS,
    ]);
    await this.raiseIfCalm(row);
    return { calls: row.granted, retryInMs: row.granted < wanted ? msUntilNextCall(row) : null };
  }

  /** Returns calls granted but not used, so that a short claim does not waste the shared rate. */
  async giveBack(unused: number): Promise<void> {
    if (!this.enabled || unused <= 0) return;
    await this.sql.query(giveBackCalls, [unused, BURST_SECONDS, MIN_BURST_CALLS]);
  }

  /**
   * A claimed request was granted one call, but one turn may make more: the submit after a lookup
   * that found nothing, a lookup's pages after the first, the lookup after a final answer of
   * unknown outcome. They are made at once (the request holds its lease and must not wait) and
   * charged here afterwards. Never throws: a failure only lets those calls go uncounted (logged).
   */
  async chargeExtraCalls(calls: number): Promise<void> {
    if (!this.enabled || calls <= 0) return;
    await this.sql
      .query(chargeCalls, [calls])
      .catch((error: unknown) => this.logger.warn(`could not charge ${calls} provider calls to the budget: ${(error as Error).message}`));
  }

  /**
   * Takes budget for up to `wanted` calls, claims at most that many requests, and gives back what
   * the claim did not use. A failed give-back only wastes those tokens (logged), never the claim.
   */
  async claimWithin<T>(wanted: number, claim: (limit: number) => Promise<T[]>): Promise<{ claimed: T[]; retryInMs: number | null }> {
    const grant = await this.take(wanted);
    if (grant.calls === 0) return { claimed: [], retryInMs: grant.retryInMs };
    let claimed: T[] = [];
    try {
      claimed = await claim(grant.calls);
    } finally {
      await this.giveBack(grant.calls - claimed.length).catch((error: unknown) =>
        this.logger.warn(`could not give back ${grant.calls - claimed.length} unused provider calls: ${(error as Error).message}`),
      );
    }
    return { claimed, retryInMs: grant.retryInMs };
  }

  /**
   * The provider answered -15 (or HTTP 429): counts it (in the metric always, in the shared row
   * when a limit is configured), and in adaptive mode cuts the shared rate, once for a burst of
   * such answers. Never throws: a failure only delays the cut.
   */
  async reportThrottled(kind: ProviderCallKind): Promise<void> {
    this.throttled.inc({ kind });
    if (!this.enabled) return;
    try {
      const row = await this.run(recordThrottle, []);
      if (this.policy === null || row.rate === null) return;
      const cut = rateAfterThrottle(toRateState(row), row.now_ms, this.policy);
      if (cut !== null) await this.changeRate(row, cut, 'cut');
    } catch (error) {
      this.logger.warn(`could not record a -15 answer in the provider call budget: ${(error as Error).message}`);
    }
  }

  private async raiseIfCalm(row: BudgetRow): Promise<void> {
    if (this.policy === null || row.rate === null) return;
    const raised = rateAfterCalm(toRateState(row), row.now_ms, this.policy);
    if (raised !== null) await this.changeRate(row, raised, 'raise');
  }

  /** Compare-and-set: applies the change only if nobody changed the rate (or reported a -15, for a raise) since `seen`. */
  private async changeRate(seen: BudgetRow, rate: number, change: 'cut' | 'raise'): Promise<void> {
    const [changed] = await this.sql.query<BudgetRow>(compareAndSetRate, [
      rate,
      seen.rate_version,
      change === 'raise' ? seen.throttles : null,
      change === 'cut',
    ]);
    if (!changed) return; // another instance changed it first
    this.lastSeen = changed;
    this.logRateChange(seen.rate!, rate, change);
  }

  private logRateChange(from: number, to: number, change: 'cut' | 'raise'): void {
    const text = `provider call rate (all instances) ${change === 'cut' ? 'cut' : 'raised'} from ${from.toFixed(1)} to ${to.toFixed(1)} calls/s`;
    if (change === 'cut') this.logger.warn(`${text} after a -15 answer`);
    else if (to >= this.ceiling!) this.logger.log(`${text}: back at the maximum`);
    else this.logger.debug(text);
  }

  private async run(statement: SqlStatement, params: unknown[]): Promise<BudgetRow> {
    const [row] = await this.sql.query<BudgetRow>(statement, params);
    if (!row) throw new Error('the provider_call_budget row is missing: run the migrations');
    this.lastSeen = row;
    return row;
  }
}

function toRateState(row: BudgetRow): AdaptiveRateState {
  return { rate: row.rate!, changedAtMs: row.rate_changed_at_ms, cutAtMs: row.cut_at_ms, throttledAtMs: row.throttled_at_ms };
}

/**
 * Until the bucket holds a whole call again, or null when the rate was not what held the
 * grant back (no rate limit, or the concurrency limit). A little random extra spreads the
 * instances that wait for the same token.
 */
function msUntilNextCall(row: BudgetRow): number | null {
  if (row.rate === null || row.tokens >= 1) return null;
  const perCallMs = 1000 / row.rate;
  return Math.max(5, Math.ceil((1 - row.tokens) * perCallMs + Math.random() * perCallMs * 0.5));
}
