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
});

describe('loadConfig: database password and TLS', () => {
  it('refuses a password in both DATABASE_URL and DATABASE_PASSWORD, and TLS set in both places', () => {
    expect(() =>
      loadConfig({ ...minimal, DATABASE_URL: 'postgres://u:hunter2@db/x?sslmode=require', DATABASE_PASSWORD: 'p', DATABASE_SSL_MODE: 'verify-full' }),
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
    expect(() => loadConfig({ ...minimal, DATABASE_SSL_MODE: 'prefer' })).toThrow(/DATABASE_SSL_MODE must be disable, require, verify-ca or verify-full/);
    expect(() => loadConfig({ ...minimal, DATABASE_SSL_CA_FILE: '/ca.pem' })).toThrow(/DATABASE_SSL_CA_FILE is set but DATABASE_SSL_MODE is not/);
  });
});

describe('loadDatabaseConfig', () => {
  it('reads only the database settings, for scripts/migrate (no provider credentials needed)', () => {
    const { database } = loadDatabaseConfig({ DATABASE_URL: 'postgres://relay@db:5432/x', DATABASE_PASSWORD: 'p', DATABASE_SSL_MODE: 'require' });
    expect(database).toMatchObject({ url: 'postgres://relay@db:5432/x', password: 'p', ssl: { mode: 'require', ca: null } });
  });
});
