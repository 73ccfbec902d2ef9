import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Sql } from '../database/sql.js';
import type { RequestStatus } from '../requests/request-status.js';
import {
  countLiveRequests,
  limitScrapeStatements,
  measureOutboxBacklog,
  SCRAPE_QUERY_TIMEOUT_MS,
  type LiveRequestCountRow,
  type OutboxBacklogRow,
} from './database-gauges.sql.js';
import { withTimeout } from './with-timeout.js';

/** The three gauges are collected in parallel; one round of queries serves them all. */
const SNAPSHOT_REUSE_MS = 1_000;
const COUNTED_STATUSES: RequestStatus[] = ['pending', 'in_progress'];

interface DatabaseSnapshot {
  requestsByStatus: Map<string, number>;
  outboxBacklog: number;
  outboxOldestAgeSeconds: number;
}

/**
 * Gauges that reflect the database, read at scrape time. Each query uses a partial index:
 * requests are counted for the live statuses only (pending, in_progress: resend_request_claim_order),
 * finished ones grow without bound and are counted by resend_relay_outcomes_total instead;
 * the outbox backlog reads outbox_event_unpublished.
 */
@Injectable()
export class DatabaseGauges {
  private readonly logger = new Logger(DatabaseGauges.name);
  private snapshot: { at: number; value: Promise<DatabaseSnapshot | null> } | null = null;

  /** `dataSource`: only asked whether it is connected yet (FlowLifecycle connects it after HTTP listens). */
  constructor(
    registry: Registry,
    private readonly sql: Sql,
    private readonly dataSource: DataSource,
  ) {
    const requests: Gauge<'status'> = new Gauge({
      name: 'resend_relay_requests',
      help: 'Requests in a live status (pending, in_progress), read from the database at scrape time.',
      labelNames: ['status'],
      registers: [registry],
      collect: async () => {
        const snapshot = await this.read();
        if (!snapshot) return;
        for (const status of COUNTED_STATUSES) requests.set({ status }, snapshot.requestsByStatus.get(status) ?? 0);
      },
    });
    const backlog: Gauge = new Gauge({
      name: 'resend_relay_outbox_backlog',
      help: 'Outbox rows not yet published (rows Kafka refused for good are not counted).',
      registers: [registry],
      collect: async () => {
        const snapshot = await this.read();
        if (snapshot) backlog.set(snapshot.outboxBacklog);
      },
    });
    const oldestAge: Gauge = new Gauge({
      name: 'resend_relay_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row; 0 when there is none.',
      registers: [registry],
      collect: async () => {
        const snapshot = await this.read();
        if (snapshot) oldestAge.set(snapshot.outboxOldestAgeSeconds);
      },
    });
  }

  private read(): Promise<DatabaseSnapshot | null> {
    if (this.snapshot && Date.now() - this.snapshot.at < SNAPSHOT_REUSE_MS) return this.snapshot.value;
    const value = this.query().catch((error: unknown) => {
      this.logger.debug(`database gauges not refreshed: ${(error as Error).message}`);
      return null;
    });
    this.snapshot = { at: Date.now(), value };
    return value;
  }

  private async query(): Promise<DatabaseSnapshot | null> {
    if (!this.dataSource.isInitialized) return null;
    return withTimeout(
      this.sql.transaction(async (transaction) => {
        transaction.send(limitScrapeStatements);
        const [statuses, [outbox]] = await Promise.all([
          transaction.query<LiveRequestCountRow>(countLiveRequests),
          transaction.query<OutboxBacklogRow>(measureOutboxBacklog),
        ]);
        return {
          requestsByStatus: new Map(statuses.map((row) => [row.status, Number(row.count)])),
          outboxBacklog: Number(outbox?.backlog ?? 0),
          outboxOldestAgeSeconds: Math.max(0, Number(outbox?.oldest_age_seconds ?? 0)),
        };
      }),
      SCRAPE_QUERY_TIMEOUT_MS + 500,
      'database gauges',
    );
  }
}
