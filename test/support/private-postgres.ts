import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivatePostgres as Server } from '../../scripts/support/private-postgres.js';
import { freePort } from './free-port.js';

/**
 * The tests' private PostgreSQL server (see scripts/support/private-postgres.ts, shared with the
 * benchmark). fsync and synchronous_commit off: a throw-away test server, speed over durability.
 * With `tls`, it also speaks TLS (`ssl=on`) with that certificate and key; clients may still
 * connect without it.
 */
export type PrivatePostgres = Server;
export const PrivatePostgres = {
  start: async (options: { tls?: { certFile: string; keyFile: string } } = {}): Promise<Server> =>
    Server.start({
      preferredPort: await freePort(),
      settings: {
        fsync: 'off',
        synchronous_commit: 'off',
        max_connections: '200',
        ...(options.tls ? tlsSettings(options.tls) : {}),
      },
    }),
};

/** The server refuses a key that others can read or that another user owns: copies it for the postgres user. */
function tlsSettings(tls: { certFile: string; keyFile: string }): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'resend-relay-pg-tls-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? { uid: idOf('-u'), gid: idOf('-g') } : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const files = { ssl_cert_file: join(dir, 'server.crt'), ssl_key_file: join(dir, 'server.key') };
  for (const [from, to] of [
    [tls.certFile, files.ssl_cert_file],
    [tls.keyFile, files.ssl_key_file],
  ] as const) {
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    if (owner) chownSync(to, owner.uid, owner.gid);
  }
  return { ssl: 'on', ...files };
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres']).toString().trim());
}
