import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig, loadKafkaConfig } from '../config/app-config.js';
import { kafkaClientConfig } from './kafka-client-config.js';

const minimal = { ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret-value' };
const dir = mkdtempSync(join(tmpdir(), 'kafka-client-config-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ca = file('ca.pem', 'CA PEM');
const cert = file('client.pem', 'CERT PEM');
const key = file('client.key', 'KEY PEM');
const password = file('password', 'sasl-password\n');

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadConfig({ ...minimal, ...environment });
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('kafkaClientConfig', () => {
  it('connects in plaintext without SASL by default, with the connection timeouts', () => {
    expect(kafkaClientConfig(loadConfig(minimal), 'admin')).toEqual({
      clientId: 'resend-relay-admin',
      brokers: ['127.0.0.1:9092'],
      ssl: false,
      connectionTimeout: 5_000,
      authenticationTimeout: 10_000,
    });
  });

  it('trusts the CA file, presents the client certificate and verifies the host name by default', () => {
    const config = loadConfig({ ...minimal, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key });
    const ssl = kafkaClientConfig(config).ssl as Record<string, unknown>;
    expect(ssl).toEqual({ rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
    expect(ssl).not.toHaveProperty('checkServerIdentity');
  });

  it('skips only the host name check when asked, never the chain', () => {
    const ssl = kafkaClientConfig(loadConfig({ ...minimal, KAFKA_SSL: 'true', KAFKA_SSL_VERIFY_HOSTNAME: 'false' })).ssl as Record<
      string,
      any
    >;
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.checkServerIdentity('other.example', {})).toBeUndefined();
  });

  it('logs in with SASL, the password from its file', () => {
    const config = loadConfig({
      ...minimal,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD_FILE: password,
    });
    expect(kafkaClientConfig(config).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'relay', password: 'sasl-password' });
  });

  it('names half-configured or contradictory settings', () => {
    expect(problemsOf({ KAFKA_SSL_CA_FILE: ca })).toEqual(['KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true']);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })[0]).toMatch(
      /KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/,
    );
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toEqual([
      'KAFKA_SSL_CA_FILE cannot be read (ENOENT)',
    ]);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM',
    ]);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })[0]).toMatch(
      /plain .* needs KAFKA_SSL=true/,
    );
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'gssapi' })[0]).toMatch(/KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512/);
    expect(problemsOf({ KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_PASSWORD_FILE: password })).toContain(
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: set only one',
    );
  });

  it('serves tools that need only the Kafka settings (no provider credentials)', () => {
    const config = loadKafkaConfig({ KAFKA_BROKERS: '10.0.0.1:9093', KAFKA_SSL: 'true' });
    expect(kafkaClientConfig(config)).toMatchObject({ brokers: ['10.0.0.1:9093'], ssl: { rejectUnauthorized: true } });
    expect(config.topics.completed).toBe('campaign.resend.completed');
  });
});
