import { Logger } from '@nestjs/common';
import pg from 'pg';

/**
 * Holds one dedicated connection that LISTENs on a channel and calls `onNotify` for each
 * notification. Reconnects with a growing delay when the database goes away; the caller's
 * polling covers whatever was announced while it was disconnected.
 */
export class PgNotificationListener {
  private readonly logger = new Logger(PgNotificationListener.name);
  private client: pg.Client | null = null;
  private stopped = false;
  private reconnectDelayMs = 500;
  private reconnectTimer: NodeJS.Timeout | null = null;

  /** `connection`: a URL or pg settings (e.g. with TLS options and a separate password). */
  constructor(
    private readonly connection: string | pg.ClientConfig,
    private readonly channel: string,
    private readonly onNotify: () => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection);
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.scheduleReconnect(client));
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      this.client = client;
      this.reconnectDelayMs = 500;
      // Anything announced while we were not listening is picked up now.
      this.onNotify();
    } catch (error) {
      this.logger.warn(`LISTEN ${this.channel} failed (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.stopped || this.reconnectTimer || (this.client !== null && this.client !== client)) return;
    this.client = null;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 30_000);
  }
}
