import { readFileSync } from 'node:fs';
import type { Environment } from './environment.schema.js';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** TLS to the brokers. Certificates and key are the files' contents (PEM), read once at start-up. */
export interface KafkaTlsSettings {
  /** PEM of the CA(s) to trust; null trusts Node's default CA list. */
  ca: string | null;
  /** Client certificate and key for mutual TLS, or null. */
  clientCertificate: { cert: string; key: string } | null;
  verifyHostname: boolean;
}

export interface KafkaSaslSettings {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

export type DatabaseSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface DatabaseSslSettings {
  mode: DatabaseSslMode;
  /** PEM of the CA(s) to trust for verify-ca / verify-full; null trusts Node's default CA list. */
  ca: string | null;
}

export interface ConnectionSecurity {
  kafka: { tls: KafkaTlsSettings | null; sasl: KafkaSaslSettings | null };
  database: { password: string | null; ssl: DatabaseSslSettings | null };
}

type FileReader = (path: string) => string;
const readUtf8: FileReader = (path) => readFileSync(path, 'utf8');

/**
 * Checks the TLS/SASL settings against each other and reads the certificate files, so that a
 * missing file or a half-configured mTLS stops the service at start-up, naming the variable.
 * `problems` never carries a value or a file's content.
 */
export function resolveConnectionSecurity(
  env: Environment,
  readFile: FileReader = readUtf8,
): { security: ConnectionSecurity; problems: string[] } {
  const problems: string[] = [];
  const read = (variable: string, path: string | undefined): string | null => {
    if (path === undefined) return null;
    try {
      return readFile(path);
    } catch (error) {
      problems.push(`${variable} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return null;
    }
  };
  const kafka = { tls: kafkaTls(env, read, problems), sasl: kafkaSasl(env, problems) };
  const database = {
    password: env.DATABASE_PASSWORD ?? null,
    ssl: databaseSsl(env, read, problems),
  };
  return { security: { kafka, database }, problems };
}

function kafkaTls(env: Environment, read: (variable: string, path?: string) => string | null, problems: string[]) {
  const files = {
    KAFKA_SSL_CA_FILE: env.KAFKA_SSL_CA_FILE,
    KAFKA_SSL_CERT_FILE: env.KAFKA_SSL_CERT_FILE,
    KAFKA_SSL_KEY_FILE: env.KAFKA_SSL_KEY_FILE,
  };
  if (!env.KAFKA_SSL) {
    for (const [variable, path] of Object.entries(files)) {
      if (path !== undefined) problems.push(`${variable} is set but KAFKA_SSL is not true`);
    }
    return null;
  }
  if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined)) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both or neither');
  }
  const cert = read('KAFKA_SSL_CERT_FILE', env.KAFKA_SSL_CERT_FILE);
  const key = read('KAFKA_SSL_KEY_FILE', env.KAFKA_SSL_KEY_FILE);
  return {
    ca: read('KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE),
    clientCertificate: cert !== null && key !== null ? { cert, key } : null,
    verifyHostname: env.KAFKA_SSL_VERIFY_HOSTNAME,
  };
}

function kafkaSasl(env: Environment, problems: string[]): KafkaSaslSettings | null {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (mechanism === undefined) {
    for (const variable of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (env[variable] !== undefined) problems.push(`${variable} is set but KAFKA_SASL_MECHANISM is not`);
    }
    return null;
  }
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (username === undefined) problems.push(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM`);
  if (password === undefined) problems.push(`KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM`);
  if (username === undefined || password === undefined) return null;
  if (mechanism === 'plain' && !env.KAFKA_SSL) {
    // PLAIN sends the password as it is: only over TLS.
    problems.push('KAFKA_SASL_MECHANISM plain sends the password in clear: it needs KAFKA_SSL=true');
  }
  return { mechanism, username, password };
}

function databaseSsl(env: Environment, read: (variable: string, path?: string) => string | null, problems: string[]) {
  const url = new URL(env.DATABASE_URL);
  if (env.DATABASE_PASSWORD !== undefined && url.password !== '') {
    problems.push('DATABASE_PASSWORD is set and DATABASE_URL carries a password too: keep only one');
  }
  const urlSslParameters = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'].filter((name) => url.searchParams.has(name));
  const mode = env.DATABASE_SSL_MODE;
  if (mode === undefined) {
    if (env.DATABASE_SSL_CA_FILE !== undefined) problems.push('DATABASE_SSL_CA_FILE is set but DATABASE_SSL_MODE is not');
    // The URL's own sslmode is honoured only when the URL is handed to the driver as it is.
    if (urlSslParameters.length > 0 && env.DATABASE_PASSWORD !== undefined) {
      problems.push('DATABASE_URL carries TLS parameters and DATABASE_PASSWORD is set: use DATABASE_SSL_MODE instead');
    }
    return null;
  }
  if (urlSslParameters.length > 0) {
    problems.push(`DATABASE_SSL_MODE is set and DATABASE_URL carries ${urlSslParameters.join(', ')} too: keep only one`);
  }
  if (env.DATABASE_SSL_CA_FILE !== undefined && (mode === 'disable' || mode === 'require')) {
    problems.push(`DATABASE_SSL_CA_FILE is only used with DATABASE_SSL_MODE verify-ca or verify-full`);
  }
  return { mode, ca: read('DATABASE_SSL_CA_FILE', env.DATABASE_SSL_CA_FILE) };
}
