import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl on a free port, data under /tmp), so
 * that a test can stop and start it without disturbing the shared server of DATABASE_URL.
 * initdb refuses to run as root, so the binaries run as the `postgres` OS user when we are root.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly extraSettings = '',
  ) {}

  /**
   * initdb, start, and wait until it accepts connections. With `tls`, the server also speaks TLS
   * (`ssl=on`) with that certificate and key; clients may still connect without it.
   */
  static async start(preferredPort = 55432, options: { tls?: { certFile: string; keyFile: string } } = {}): Promise<PrivatePostgres> {
    const port = await freePort(preferredPort);
    const baseDir = mkdtempSync(join(tmpdir(), 'resend-relay-pg-'));
    const dataDir = join(baseDir, 'data');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(baseDir, uid(OS_USER), gid(OS_USER));
    await asPostgres(`${BIN}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    let extraSettings = '';
    if (options.tls) {
      // The server refuses a key that others can read or that another user owns.
      for (const [from, name] of [[options.tls.certFile, 'server.crt'], [options.tls.keyFile, 'server.key']] as const) {
        copyFileSync(from, join(baseDir, name));
        chmodSync(join(baseDir, name), 0o600);
        if (asRoot) chownSync(join(baseDir, name), uid(OS_USER), gid(OS_USER));
      }
      extraSettings = ` -c ssl=on -c ssl_cert_file=${join(baseDir, 'server.crt')} -c ssl_key_file=${join(baseDir, 'server.key')}`;
    }
    const server = new PrivatePostgres(port, dataDir, extraSettings);
    await server.startServer();
    return server;
  }

  /** The connection URL of a database on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
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
    await asPostgres(`${BIN}/pg_ctl`, [
      '-D',
      this.dataDir,
      '-l',
      join(this.dataDir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      // Unix socket in the data directory, not in the shared server's /var/run/postgresql;
      // fsync off: a test server, speed over durability.
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dataDir} -c fsync=off -c synchronous_commit=off -c max_connections=200${this.extraSettings}`,
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
async function freePort(preferred: number): Promise<number> {
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
