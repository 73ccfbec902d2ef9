import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import type { DatabaseSettings } from '../config/app-config.js';
import type { DatabaseSslSettings } from '../config/connection-security.js';

/**
 * The pg connection settings of the service (TypeORM's pool and the outbox's LISTEN connection):
 * DATABASE_URL as it is, unless DATABASE_PASSWORD or DATABASE_SSL_MODE say otherwise.
 *
 * With a separate password the URL is taken apart: pg lets a connection string override every
 * other setting, and putting the password back into a URL would spread it into every place a
 * URL is printed.
 */
export function postgresClientConfig(database: Pick<DatabaseSettings, 'url' | 'password' | 'ssl'>): pg.ClientConfig {
  const ssl = database.ssl ? sslOptions(database.ssl) : undefined;
  if (database.password === null) return { connectionString: database.url, ...(ssl !== undefined ? { ssl } : {}) };
  const url = new URL(database.url);
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
    password: database.password,
    ...(ssl !== undefined ? { ssl } : {}),
  };
}

/** libpq's sslmode semantics on Node's TLS options. */
function sslOptions(settings: DatabaseSslSettings): false | ConnectionOptions {
  const ca = settings.ca !== null ? { ca: settings.ca } : {};
  switch (settings.mode) {
    case 'disable':
      return false;
    case 'require':
      // Encrypted, not authenticated: libpq's `require` does not check the certificate either.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...ca, rejectUnauthorized: true };
  }
}

const CERTIFICATE_CODE = /CERT|SELF_SIGNED|ISSUER|SIGNATURE|ALTNAME/;

/**
 * A TLS failure that waiting cannot fix (untrusted certificate, host name mismatch, a server
 * without TLS) as one line naming the setting, or null for anything else.
 */
export function describeDatabaseTlsFailure(error: unknown): string | null {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `PostgreSQL: the server's certificate does not name the host in DATABASE_URL (${code}): connect by a name it holds, or use DATABASE_SSL_MODE=verify-ca`;
  }
  if (typeof code === 'string' && CERTIFICATE_CODE.test(code)) {
    return `PostgreSQL: the server's TLS certificate is not trusted (${code}): DATABASE_SSL_CA_FILE must hold the CA that signed it`;
  }
  if (typeof message === 'string' && /The server does not support SSL connections/.test(message)) {
    return 'PostgreSQL: the server does not accept TLS connections (DATABASE_SSL_MODE asks for TLS)';
  }
  return null;
}
