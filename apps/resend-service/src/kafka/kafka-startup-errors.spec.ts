import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { KafkaStartupErrors } from './kafka-startup-errors.js';

const base = { ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret-value', KAFKA_BROKERS: 'kafka:9093' };
const secured = loadConfig({
  ...base,
  KAFKA_SSL: 'true',
  KAFKA_SASL_MECHANISM: 'scram-sha-256',
  KAFKA_SASL_USERNAME: 'relay',
  KAFKA_SASL_PASSWORD: 'hunter2',
}).kafka;
const plaintext = loadConfig(base).kafka;

/** kafkajs's shapes: a retry error around the connection error that carries the socket's code. */
const retried = (inner: object) => Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: inner });
const connectionError = (code: string | undefined, message: string) =>
  Object.assign(new Error(message), { name: 'KafkaJSConnectionError', code });

describe('KafkaStartupErrors', () => {
  it('stops at a refused SASL login, naming the user and the settings, never the password', () => {
    const error = Object.assign(new Error('SASL SCRAM SHA256 authentication failed: invalid credentials'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    const message = new KafkaStartupErrors(secured).misconfiguration(error)!.message;
    expect(message).toMatch(
      /^Kafka: kafka:9093 refused the SASL scram-sha-256 login of user "relay" \(invalid credentials\): check KAFKA_SASL_USERNAME/,
    );
    expect(message).not.toContain('hunter2');
  });

  it('stops at an untrusted certificate and at a host name mismatch', () => {
    const errors = new KafkaStartupErrors(secured);
    expect(errors.misconfiguration(retried(connectionError('SELF_SIGNED_CERT_IN_CHAIN', 'x')))!.message).toMatch(
      /not trusted .*KAFKA_SSL_CA_FILE/,
    );
    expect(errors.misconfiguration(retried(connectionError('ERR_TLS_CERT_ALTNAME_INVALID', 'x')))!.message).toMatch(
      /KAFKA_SSL_VERIFY_HOSTNAME/,
    );
  });

  it('stops when TLS meets a plaintext listener', () => {
    const error = retried(
      connectionError('ECONNRESET', 'Connection error: Client network socket disconnected before secure TLS connection was established'),
    );
    expect(new KafkaStartupErrors(secured).misconfiguration(error)!.message).toMatch(/during the TLS handshake/);
    expect(new KafkaStartupErrors(plaintext).misconfiguration(error)).toBeNull();
  });

  it('takes a connection closed before any answer for a protocol mismatch only when it repeats', () => {
    const errors = new KafkaStartupErrors(plaintext);
    const closed = retried(Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' }));
    expect(errors.misconfiguration(closed)).toBeNull();
    expect(errors.misconfiguration(closed)).toBeNull();
    expect(errors.misconfiguration(closed)!.message).toMatch(/3 times in a row: does the listener expect TLS \(KAFKA_SSL=true\) or SASL/);
  });

  it('keeps waiting for a broker that is not there yet', () => {
    const errors = new KafkaStartupErrors(secured);
    expect(errors.misconfiguration(retried(connectionError('ECONNREFUSED', 'Connection error: connect ECONNREFUSED')))).toBeNull();
  });
});
