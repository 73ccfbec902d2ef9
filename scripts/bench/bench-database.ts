import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { buildCloudEventHeaders, DEFAULT_CLOUD_EVENT_SOURCE, type ResendCompletedEvent } from '#contracts';
import pg from 'pg';
import { PrivatePostgres } from '../support/private-postgres.js';
import { waitFor } from '../support/wait-for.js';
import type { BenchRequest } from './bench-requests.js';
import { rateOverSpan } from './statistics.js';

/** The role the service connects as; only its statements are counted. */
const SERVICE_ROLE = 'postgres';
/** The benchmark's own queries run as another role, so that they stay out of the counts. */
const OBSERVER_ROLE = 'bench_observer';

export interface StatementCount {
  calls: number;
  /** Calls per normalised statement text, for "where the round trips go". */
  byStatement: Map<string, number>;
}

export interface StageRates {
  recorded: number | undefined;
  finished: number | undefined;
  published: number | undefined;
  completedRequests: number;
}

/**
 * The benchmark's own PostgreSQL server: settings as installed (fsync, synchronous_commit and
 * the rest at their defaults), plus pg_stat_statements to count the service's statements.
 */
export class BenchDatabase {
  private constructor(
    private readonly server: PrivatePostgres,
    private readonly stats: pg.Client,
  ) {}

  static async start(): Promise<BenchDatabase> {
    const server = await PrivatePostgres.start({
      preferredPort: 56432,
      settings: { shared_preload_libraries: 'pg_stat_statements' },
    });
    try {
      const admin = new pg.Client({ connectionString: server.url() });
      await admin.connect();
      await admin.query('CREATE EXTENSION pg_stat_statements');
      await admin.query(`CREATE ROLE ${OBSERVER_ROLE} LOGIN SUPERUSER`);
      await admin.end();
      const stats = new pg.Client({ connectionString: server.url('postgres', OBSERVER_ROLE) });
      await stats.connect();
      return new BenchDatabase(server, stats);
    } catch (error) {
      await server.destroy();
      throw error;
    }
  }

  /** The server's postmaster: its children are the backends of every arm's connections. */
  serverPid(): number {
    return this.server.serverPid();
  }

  /** Stops the server and deletes its data; its log (checkpoints, autovacuum, errors) is kept at `keepLogAt`. */
  async stop(keepLogAt: string): Promise<void> {
    await this.stats.end().catch(() => undefined);
    try {
      writeFileSync(keepLogAt, this.server.serverLog());
    } finally {
      await this.server.destroy();
    }
  }

  async version(): Promise<string> {
    const { rows } = await this.stats.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  }

  /** A new, empty database (the durable floor creates its own two tables); returns its URL. */
  async createEmptyDatabase(name: string): Promise<string> {
    await this.stats.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return this.server.url(name);
  }

  /** A new database with the service's schema; returns the service's URL and an observer connection. */
  async createArmDatabase(name: string): Promise<{ url: string; observer: pg.Client }> {
    const url = await this.server.createMigratedDatabase(name);
    const observer = new pg.Client({ connectionString: this.server.url(name, OBSERVER_ROLE) });
    // When an interrupted run stops the server first, the connection ends with an 'error' event:
    // unheard, it would end the benchmark before it stops the broker.
    observer.on('error', () => undefined);
    await observer.connect();
    return { url, observer };
  }

  /**
   * Everything the service role has run in `database` so far, by pg_stat_statements: every
   * statement the server executed counts once, BEGIN and COMMIT included.
   */
  async statementCount(database: string): Promise<StatementCount> {
    const { rows } = await this.stats.query<{ query: string; calls: string }>(
      `SELECT s.query, sum(s.calls)::bigint AS calls
         FROM pg_stat_statements s
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = $1)
          AND s.userid = (SELECT oid FROM pg_roles WHERE rolname = $2)
        GROUP BY s.query`,
      [database, SERVICE_ROLE],
    );
    const byStatement = new Map(rows.map((row) => [row.query, Number(row.calls)]));
    return { calls: [...byStatement.values()].reduce((sum, calls) => sum + calls, 0), byStatement };
  }
}

/** Waits until the outbox holds at least `expected` rows and none is unpublished. */
export async function waitUntilOutboxPublished(
  observer: pg.Client,
  expected: number,
  timeoutMs: number,
  assertPublisherRunning: () => void,
): Promise<void> {
  await waitFor(
    `${expected} outbox rows to be published`,
    async () => {
      assertPublisherRunning();
      const { rows } = await observer.query<{ total: string; unpublished: string }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE published_at IS NULL) AS unpublished FROM outbox_event`,
      );
      return Number(rows[0]!.total) >= expected && Number(rows[0]!.unpublished) === 0;
    },
    timeoutMs,
    100,
  );
}

/**
 * How fast each stage went, from the times the service wrote: received_at (recorded),
 * finished_at (final state), outbox published_at. Each rate is (rows − 1) over the span from the
 * first to the last time of that column.
 */
export async function stageRates(observer: pg.Client): Promise<StageRates> {
  const span = async (sql: string) => {
    const { rows } = await observer.query<{ count: string; first_ms: string | null; last_ms: string | null }>(sql);
    const { count, first_ms, last_ms } = rows[0]!;
    return rateOverSpan(Number(count), Number(first_ms), Number(last_ms));
  };
  const timesOf = (column: string, table: string) =>
    `SELECT count(${column}) AS count, extract(epoch FROM min(${column})) * 1000 AS first_ms,
            extract(epoch FROM max(${column})) * 1000 AS last_ms FROM ${table}`;
  const { rows } = await observer.query<{ completed: string }>(
    `SELECT count(*) FILTER (WHERE status = 'completed') AS completed FROM resend_request`,
  );
  return {
    recorded: await span(timesOf('received_at', 'resend_request')),
    finished: await span(timesOf('finished_at', 'resend_request')),
    published: await span(timesOf('published_at', 'outbox_event')),
    completedRequests: Number(rows[0]!.completed),
  };
}

/**
 * Outbox rows as OutcomeEvents.completed writes them (a completed event, its CloudEvents
 * headers, the keyId as key), inserted directly, 1,000 per statement.
 */
export async function prefillOutbox(observer: pg.Client, topic: string, requests: BenchRequest[]): Promise<void> {
  const chunk = 1_000;
  for (let start = 0; start < requests.length; start += chunk) {
    const rows = requests.slice(start, start + chunk).map((request, index) => completedOutboxRow(topic, request, start + index));
    await observer.query(
      `INSERT INTO outbox_event (id, topic, message_key, message_value, headers)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::jsonb[])`,
      [
        rows.map((row) => row.id),
        rows.map(() => topic),
        rows.map((row) => row.key),
        rows.map((row) => row.value),
        rows.map((row) => JSON.stringify(row.headers)),
      ],
    );
  }
}

function completedOutboxRow(topic: string, request: BenchRequest, index: number) {
  const id = randomUUID();
  const submittedAt = new Date().toISOString();
  const event: ResendCompletedEvent = {
    requestId: request.requestId,
    keyId: request.keyId,
    taskName: request.taskName,
    newKeyId: 100_000 + index,
    attempts: 1,
    submittedAt,
    correlationId: request.correlationId,
    resolvedByLookup: false,
  };
  const headers = buildCloudEventHeaders({
    id,
    type: topic,
    source: DEFAULT_CLOUD_EVENT_SOURCE,
    time: submittedAt,
    subject: String(request.keyId),
    correlationId: request.correlationId,
  });
  return { id, key: Buffer.from(String(request.keyId)), value: Buffer.from(JSON.stringify(event)), headers };
}

/** Earliest published_at: the start of the relay's first publishing transaction (epoch ms). */
export async function firstPublishedAt(observer: pg.Client): Promise<number> {
  const { rows } = await observer.query<{ first_ms: string }>(
    `SELECT extract(epoch FROM min(published_at)) * 1000 AS first_ms FROM outbox_event`,
  );
  return Number(rows[0]!.first_ms);
}

/** The difference of two pg_stat_statements snapshots, per request: in all and by statement. */
export function statementsPerRequest(before: StatementCount, after: StatementCount, n: number) {
  return {
    statementsPerRequest: (after.calls - before.calls) / n,
    statementBreakdown: [...after.byStatement]
      .map(([query, calls]): [string, number] => [query, (calls - (before.byStatement.get(query) ?? 0)) / n])
      .filter(([, perRequest]) => perRequest > 0)
      .sort((a, b) => b[1] - a[1]),
  };
}
