import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/resend-service/src/database/data-source-options.js';

const run = promisify(execFile);
const BIN = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

export interface PrivatePostgresOptions {
  /** Used if nobody listens on it, else the next free port. */
  preferredPort?: number;
  /**
   * Server settings passed as `-c name=value`, on top of the installed defaults (e.g.
   * `{ fsync: 'off' }` for a throw-away test server, `{ shared_preload_libraries: 'pg_stat_statements' }`
   * for a benchmark). Nothing else is changed.
   */
  settings?: Record<string, string>;
}

/**
 * A PostgreSQL server of its own (initdb + pg_ctl on a free port, data under /tmp), for tests
 * that stop and start it without disturbing the shared server, and for the benchmark.
 * initdb refuses to run as root, so the binaries run as the `postgres` OS user when we are root.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly settings: Record<string, string>,
  ) {}

  /** initdb, start, and wait until it accepts connections. */
  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const port = await freePort(options.preferredPort ?? 55432);
    const baseDir = mkdtempSync(join(tmpdir(), 'resend-relay-pg-'));
    const dataDir = join(baseDir, 'data');
    if (process.getuid?.() === 0) chownSync(baseDir, uid(OS_USER), gid(OS_USER));
    // --no-sync only skips flushing initdb's own files; the server's settings are untouched.
    await asPostgres(`${BIN}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const server = new PrivatePostgres(port, dataDir, options.settings ?? {});
    await server.startServer();
    return server;
  }

  /** The connection URL of a database on this server. */
  url(database = 'postgres', user = 'postgres'): string {
    return `postgres://${encodeURIComponent(user)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates a database and applies the service's migrations to it, as global-setup does for the shared one. */
  async createMigratedDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    const databaseUrl = this.url(name);
    const dataSource = await new DataSource(dataSourceOptions(databaseUrl, 2)).initialize();
    try {
      await dataSource.runMigrations();
    } finally {
      await dataSource.destroy();
    }
    return databaseUrl;
  }

  /** `pg_ctl start -w` on the same port and data: the outage is over. */
  async startServer(): Promise<void> {
    const settings = Object.entries(this.settings).map(([name, value]) => `-c ${name}=${value}`);
    await asPostgres(`${BIN}/pg_ctl`, [
      '-D',
      this.dataDir,
      '-l',
      join(this.dataDir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      // Unix socket in the data directory, not in the shared server's /var/run/postgresql.
      [`-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dataDir}`, ...settings].join(' '),
      'start',
    ]);
  }

  /** `pg_ctl stop -m fast`: open connections are terminated, as in an abrupt database restart. */
  async stopServer(): Promise<void> {
    await asPostgres(`${BIN}/pg_ctl`, ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  /** Stops the server (if running) and deletes its files. */
  async destroy(): Promise<void> {
    await this.stopServer().catch(() => undefined);
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  /** The postmaster (its first line of postmaster.pid); the backends are its children. */
  serverPid(): number {
    return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  serverLog(): string {
    try {
      return readFileSync(join(this.dataDir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', OS_USER, '--', command, ...args]] : [command, args];
  try {
    await run(file, argv, { cwd: '/tmp', timeout: 120_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.at(-1)} failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

function uid(user: string): number {
  return Number(lookupPasswd(user)[2]);
}

function gid(user: string): number {
  return Number(lookupPasswd(user)[3]);
}

function lookupPasswd(user: string): string[] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`no OS user "${user}" to run PostgreSQL as`);
  return line.split(':');
}

/** The preferred port if nobody listens on it, else the next free one (others may run their own servers). */
export async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port += 1) {
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${preferred}..${preferred + 99}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
