import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig, loadDatabaseConfig } from './app-config.js';

const minimal = { ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret-value' };

describe('loadConfig', () => {
  it('applies the local defaults when only the credentials are given', () => {
    const config = loadConfig(minimal);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.topics.requested).toBe('campaign.resend.requested');
    expect(config.topics.deadLetter).toBe('campaign.resend.requested.dlq');
    expect(config.database.runMigrations).toBe(true);
    expect(config.outbox.retentionDays).toBe(7);
  });

  it('names a missing secret without inventing a default', () => {
    expect(() => loadConfig({ ITNIOTECH_API_KEY: 'key' })).toThrow(/ITNIOTECH_API_SECRET is required/);
  });

  it('names every invalid variable at once', () => {
    try {
      loadConfig({ ...minimal, HTTP_PORT: 'eighty', KAFKA_BROKERS: 'no-port', DATABASE_MIGRATIONS_RUN: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      expect(message).toMatch(/HTTP_PORT/);
      expect(message).toMatch(/KAFKA_BROKERS must be host:port/);
      expect(message).toMatch(/DATABASE_MIGRATIONS_RUN must be true or false/);
    }
  });

  it('never echoes a value in its error, since values may be secrets', () => {
    expect(() => loadConfig({ ...minimal, DATABASE_URL: 'mysql://user:hunter2@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('splits a broker list', () => {
    expect(loadConfig({ ...minimal, KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094' }).kafka.brokers).toEqual([
      '127.0.0.1:9092',
      '127.0.0.1:9094',
    ]);
  });

  it('has no provider call budget by default, and adaptive mode follows a configured rate', () => {
    expect(loadConfig(minimal).providerCalls).toEqual({
      maxPerSecond: 0,
      maxConcurrent: 0,
      adaptive: false,
      adaptiveCeilingPerSecond: 100,
    });
    expect(loadConfig({ ...minimal, ITNIOTECH_MAX_CALLS_PER_SECOND: '2.5' }).providerCalls).toMatchObject({
      maxPerSecond: 2.5,
      adaptive: true,
    });
    expect(loadConfig({ ...minimal, ITNIOTECH_MAX_CALLS_PER_SECOND: '40', ITNIOTECH_ADAPTIVE_RATE: 'false' }).providerCalls.adaptive).toBe(
      false,
    );
    expect(loadConfig({ ...minimal, ITNIOTECH_ADAPTIVE_RATE: 'true' }).providerCalls).toMatchObject({ maxPerSecond: 0, adaptive: true });
  });

  it('waits twice the call timeout before trusting a lookup that found nothing, unless told otherwise', () => {
    expect(loadConfig(minimal).provider.lookupSettleMs).toBe(20_000);
    expect(loadConfig({ ...minimal, ITNIOTECH_TIMEOUT_MS: '3000' }).provider.lookupSettleMs).toBe(6_000);
    expect(loadConfig({ ...minimal, ITNIOTECH_LOOKUP_SETTLE_MS: '45000' }).provider.lookupSettleMs).toBe(45_000);
  });

  it('refuses a settle delay shorter than the call timeout: the client itself may still be waiting then', () => {
    expect(() => loadConfig({ ...minimal, ITNIOTECH_TIMEOUT_MS: '10000', ITNIOTECH_LOOKUP_SETTLE_MS: '5000' })).toThrow(
      /ITNIOTECH_LOOKUP_SETTLE_MS must be at least ITNIOTECH_TIMEOUT_MS/,
    );
  });

  it('names a bad provider call limit', () => {
    expect(() => loadConfig({ ...minimal, ITNIOTECH_MAX_CALLS_PER_SECOND: '-1' })).toThrow(/ITNIOTECH_MAX_CALLS_PER_SECOND/);
    expect(() => loadConfig({ ...minimal, ITNIOTECH_MAX_CONCURRENT_CALLS: '2.5' })).toThrow(/ITNIOTECH_MAX_CONCURRENT_CALLS/);
    expect(() => loadConfig({ ...minimal, ITNIOTECH_ADAPTIVE_RATE: 'yes' })).toThrow(/ITNIOTECH_ADAPTIVE_RATE must be true or false/);
    expect(() => loadConfig({ ...minimal, ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND: '0' })).toThrow(/ITNIOTECH_ADAPTIVE_CEILING_PER_SECOND/);
  });

  it('reads operator API tokens, none by default, and refuses a short one without echoing it', () => {
    expect(loadConfig(minimal).operatorApi.tokens).toEqual([]);
    expect(loadConfig({ ...minimal, OPERATOR_API_TOKENS: 'a'.repeat(16) + ', ' + 'b'.repeat(20) }).operatorApi.tokens).toEqual([
      'a'.repeat(16),
      'b'.repeat(20),
    ]);
    expect(() => loadConfig({ ...minimal, OPERATOR_API_TOKENS: 'short-secret' })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/OPERATOR_API_TOKENS must be/) }),
    );
    expect(() => loadConfig({ ...minimal, OPERATOR_API_TOKENS: 'short-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('short-secret') }),
    );
  });
});

describe('loadConfig: database password and TLS', () => {
  it('refuses a password in both DATABASE_URL and DATABASE_PASSWORD, and TLS set in both places', () => {
    expect(() =>
      loadConfig({
        ...minimal,
        DATABASE_URL: 'postgres://u:hunter2@db/x?sslmode=require',
        DATABASE_PASSWORD: 'p',
        DATABASE_SSL_MODE: 'verify-full',
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          'DATABASE_PASSWORD is set and DATABASE_URL carries a password too: keep only one',
          'DATABASE_SSL_MODE is set and DATABASE_URL carries sslmode too: keep only one',
        ],
        message: expect.not.stringContaining('hunter2'),
      }),
    );
  });

  it('names an invalid sslmode and a CA file without a verifying mode', () => {
    expect(() => loadConfig({ ...minimal, DATABASE_SSL_MODE: 'prefer' })).toThrow(
      /DATABASE_SSL_MODE must be disable, require, verify-ca or verify-full/,
    );
    expect(() => loadConfig({ ...minimal, DATABASE_SSL_CA_FILE: '/ca.pem' })).toThrow(
      /DATABASE_SSL_CA_FILE is set but DATABASE_SSL_MODE is not/,
    );
  });
});

describe('loadDatabaseConfig', () => {
  it('reads only the database settings, for scripts/migrate (no provider credentials needed)', () => {
    const { database } = loadDatabaseConfig({
      DATABASE_URL: 'postgres://relay@db:5432/x',
      DATABASE_PASSWORD: 'p',
      DATABASE_SSL_MODE: 'require',
    });
    expect(database).toMatchObject({ url: 'postgres://relay@db:5432/x', password: 'p', ssl: { mode: 'require', ca: null } });
  });
});

describe('loadConfig: bounds on database connections and statements', () => {
  it('bounds every connection and statement by default; the client waits 5 s longer than the server', () => {
    expect(loadConfig(minimal).database.limits).toEqual({
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 30_000,
      queryTimeoutMs: 35_000,
      idleInTransactionTimeoutMs: 30_000,
      maxLifetimeSeconds: 1_800,
      keepAliveInitialDelayMs: 10_000,
    });
    expect(loadConfig({ ...minimal, DATABASE_STATEMENT_TIMEOUT_MS: '2000' }).database.limits.queryTimeoutMs).toBe(7_000);
    expect(loadConfig(minimal).stageStallMs).toBe(30_000);
  });

  it('refuses a client timeout shorter than the statement timeout, and no bound at all', () => {
    expect(() => loadConfig({ ...minimal, DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '4000' })).toThrow(
      /DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ ...minimal, DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS/);
    expect(() => loadDatabaseConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '4000' })).toThrow(
      /DATABASE_QUERY_TIMEOUT_MS must be at least/,
    );
  });
});
