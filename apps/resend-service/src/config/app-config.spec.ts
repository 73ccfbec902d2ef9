import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from './app-config.js';

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
    expect(loadConfig(minimal).providerCalls).toEqual({ maxPerSecond: 0, maxConcurrent: 0, adaptive: false, adaptiveCeilingPerSecond: 100 });
    expect(loadConfig({ ...minimal, ITNIOTECH_MAX_CALLS_PER_SECOND: '2.5' }).providerCalls).toMatchObject({ maxPerSecond: 2.5, adaptive: true });
    expect(loadConfig({ ...minimal, ITNIOTECH_MAX_CALLS_PER_SECOND: '40', ITNIOTECH_ADAPTIVE_RATE: 'false' }).providerCalls.adaptive).toBe(false);
    expect(loadConfig({ ...minimal, ITNIOTECH_ADAPTIVE_RATE: 'true' }).providerCalls).toMatchObject({ maxPerSecond: 0, adaptive: true });
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
