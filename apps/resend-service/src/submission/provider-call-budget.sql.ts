import type { SqlStatement } from '#sql';

/**
 * The statements of the provider call budget: one row (provider_call_budget, id 1) that every
 * instance updates atomically. Times are read with clock_timestamp(), after the row lock, so
 * an instance that waited for another's update refills from the right moment.
 */

/** The columns every statement returns: the budget as the statement left it. */
const BUDGET_STATE = `
  b.granted, b.in_flight, b.tokens, b.rate, b.rate_version, b.throttles,
  extract(epoch FROM clock_timestamp())::float8 * 1000 AS now_ms,
  extract(epoch FROM b.rate_changed_at)::float8 * 1000 AS rate_changed_at_ms,
  extract(epoch FROM b.cut_at)::float8 * 1000          AS cut_at_ms,
  extract(epoch FROM b.throttled_at)::float8 * 1000    AS throttled_at_ms`;

/**
 * One claim batch asks for calls: refills the bucket by elapsed time × rate (capped at the
 * burst), and grants at most `wanted`, the whole tokens, and the free concurrency (limit minus
 * the calls in flight in all instances: in_progress rows whose lease has not expired).
 *
 * $1 wanted, $2 concurrency limit (0 = none), $3 configured rate or adaptive ceiling (NULL = no
 * rate limit), $4 adaptive (keep the row's rate, at most $3); the bucket holds $5 seconds of the
 * rate, at least $6 calls.
 */
export const takeCalls: SqlStatement = {
  name: 'budget.take-calls',
  text: `
  WITH in_flight AS (
    SELECT count(*)::int AS calls FROM resend_request
     WHERE status = 'in_progress' AND lease_expires_at > now())
  UPDATE provider_call_budget AS b
     SET (rate, tokens, refilled_at, granted, in_flight) = (
         SELECT r.rate, t.tokens - CASE WHEN r.rate IS NULL THEN 0 ELSE g.calls END, c.at, g.calls, f.calls
           FROM in_flight AS f,
                LATERAL (SELECT clock_timestamp() AS at) AS c,
                LATERAL (SELECT CASE WHEN $3::float8 IS NULL THEN NULL
                                     WHEN $4::boolean THEN least(coalesce(b.rate, $3::float8), $3::float8)
                                     ELSE $3::float8 END AS rate) AS r,
                LATERAL (SELECT CASE WHEN r.rate IS NULL THEN 0
                                     ELSE least(greatest($6::float8, r.rate * $5::float8),
                                                b.tokens + r.rate * greatest(0, extract(epoch FROM c.at - b.refilled_at)::float8))
                                END AS tokens) AS t,
                LATERAL (SELECT greatest(0, least($1::int,
                                                  CASE WHEN r.rate IS NULL THEN $1::int ELSE floor(t.tokens)::int END,
                                                  CASE WHEN $2::int > 0 THEN $2::int - f.calls ELSE $1::int END)) AS calls) AS g)
   WHERE b.id = 1
  RETURNING ${BUDGET_STATE}`,
};

/** Returns $1 tokens a batch was granted but could not use (fewer claimable requests), up to the burst ($2, $3 as $5, $6 above). */
export const giveBackCalls: SqlStatement = {
  name: 'budget.give-back-calls',
  text: `
  UPDATE provider_call_budget AS b
     SET tokens = least(greatest($3::float8, b.rate * $2::float8), b.tokens + $1::int)
   WHERE b.id = 1 AND b.rate IS NOT NULL`,
};

/**
 * Charges $1 calls made without a grant of their own (the extra calls of one request's turn: see
 * ProviderCallBudget.chargeExtraCalls). The bucket may go below zero: claims then wait until the
 * refill has paid the debt, so the rate holds on average.
 */
export const chargeCalls: SqlStatement = {
  name: 'budget.charge-calls',
  text: `
  UPDATE provider_call_budget AS b
     SET tokens = b.tokens - $1::int
   WHERE b.id = 1 AND b.rate IS NOT NULL`,
};

/** A -15 answer: counted, and the calm period restarts. The rate is left to compareAndSetRate. */
export const recordThrottle: SqlStatement = {
  name: 'budget.record-throttle',
  text: `
  UPDATE provider_call_budget AS b
     SET throttled_at = clock_timestamp(), throttles = b.throttles + 1
   WHERE b.id = 1
  RETURNING ${BUDGET_STATE}`,
};

/**
 * Compare-and-set of the adaptive rate: sets it to $1 only if nobody changed it since it was
 * read at version $2 (so of several instances reacting to the same burst, one change lands)
 * and, when $3 is given, no -15 was reported since (a raise needs calm). $4: this is a cut.
 * Returns no row when the change did not land.
 */
export const compareAndSetRate: SqlStatement = {
  name: 'budget.compare-and-set-rate',
  text: `
  UPDATE provider_call_budget AS b
     SET rate = $1::float8, rate_version = b.rate_version + 1, rate_changed_at = clock_timestamp(),
         cut_at = CASE WHEN $4::boolean THEN clock_timestamp() ELSE b.cut_at END
   WHERE b.id = 1 AND b.rate_version = $2::bigint AND ($3::bigint IS NULL OR b.throttles = $3::bigint)
  RETURNING ${BUDGET_STATE}`,
};

/** The row as returned by every statement above (pg returns bigint as text). */
export interface BudgetRow {
  granted: number;
  in_flight: number;
  tokens: number;
  rate: number | null;
  rate_version: string;
  throttles: string;
  now_ms: number;
  rate_changed_at_ms: number;
  cut_at_ms: number | null;
  throttled_at_ms: number | null;
}
