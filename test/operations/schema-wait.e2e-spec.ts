import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { databaseUrlOf, serverQuery } from '../support/e2e-context.js';
import { forgetProcessGroup, noteProcessGroup, signalProcessGroup } from '../support/process-groups.js';
import { waitFor } from '../support/wait-for.js';

/**
 * scripts/wait-for-schema.ts, the init container of deploy/kubernetes/deployment.yaml: a replica
 * starts only once the migration Job has applied every migration of its image. It waits for a
 * database that does not exist yet, then for the migrations, applies none itself, and exits 0
 * when the last one is in.
 */
const databaseName = `resend_relay_schema_wait_${randomBytes(4).toString('hex')}`;

/** The built script as a real process, leading a process group of its own. */
function startWait(databaseUrl: string) {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/scripts/wait-for-schema.js'], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  noteProcessGroup(child.pid!, 'wait-for-schema');
  let output = '';
  let exitCode: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.on('exit', (code) => {
    exitCode = code;
    signalProcessGroup(child.pid!, 'SIGKILL');
    forgetProcessGroup(child.pid!);
  });
  return {
    output: () => output,
    exitCode: () => exitCode,
    stop: () => exitCode === undefined && signalProcessGroup(child.pid!, 'SIGKILL'),
  };
}

async function migrate(databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['dist/scripts/migrate.js'], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    detached: true,
  });
  noteProcessGroup(child.pid!, 'migrate');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  forgetProcessGroup(child.pid!);
  expect(code, 'migrate.js exit code').toBe(0);
}

async function appliedMigrations(databaseUrl: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ found: boolean }>(`SELECT to_regclass('typeorm_migrations') IS NOT NULL AS found`);
    if (!exists.rows[0]!.found) return 0;
    return Number((await client.query<{ count: string }>('SELECT count(*) FROM typeorm_migrations')).rows[0]!.count);
  } finally {
    await client.end();
  }
}

describe('wait-for-schema (the init container)', () => {
  const databaseUrl = databaseUrlOf(databaseName);
  let wait: ReturnType<typeof startWait> | undefined;

  afterAll(async () => {
    wait?.stop();
    await serverQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  });

  it('waits for the database, then for every migration, applying none; exits 0 once the schema is current', async () => {
    wait = startWait(databaseUrl);
    await waitFor('the wait to report the missing database', () => /PostgreSQL not ready: .*does not exist/.test(wait!.output()), 30_000);
    expect(wait.exitCode()).toBeUndefined();

    await serverQuery(`CREATE DATABASE ${databaseName}`);
    const last = migrations[migrations.length - 1]!.name;
    await waitFor(
      'the wait to report the pending migrations',
      () => wait!.output().includes(`${migrations.length} migrations pending, the last ${last}`),
      30_000,
    );
    expect(wait.exitCode()).toBeUndefined();
    expect(await appliedMigrations(databaseUrl), 'migrations the wait applied').toBe(0);

    await migrate(databaseUrl);
    await waitFor('the wait to end', () => wait!.exitCode() !== undefined, 30_000);
    expect(wait.exitCode()).toBe(0);
    expect(wait.output()).toMatch(/database schema is up to date\n$/);
  });
});
