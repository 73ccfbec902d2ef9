import type { SqlStatement } from '#sql';

/** The statements of the database gauges (database-gauges.ts), one read-only transaction per scrape. */

/** A scrape must answer even when the database is slow or gone: its gauges then keep their last values. */
export const SCRAPE_QUERY_TIMEOUT_MS = 1_500;

/** The server cancels a scrape's statement that runs longer than that. */
export const limitScrapeStatements = `SET LOCAL statement_timeout = ${SCRAPE_QUERY_TIMEOUT_MS}`;

export const countLiveRequests: SqlStatement = {
  name: 'metrics.count-live-requests',
  text: `SELECT status, count(*) AS count FROM resend_request WHERE status IN ('pending', 'in_progress') GROUP BY status`,
};

export const measureOutboxBacklog: SqlStatement = {
  name: 'metrics.measure-outbox-backlog',
  text: `SELECT count(*) AS backlog, extract(epoch FROM now() - min(created_at)) AS oldest_age_seconds
           FROM outbox_event WHERE published_at IS NULL AND refused_at IS NULL`,
};

/** pg returns count(*) (bigint) and extract() (numeric) as text. */
export interface LiveRequestCountRow {
  status: string;
  count: string;
}

export interface OutboxBacklogRow {
  backlog: string;
  oldest_age_seconds: string | null;
}
