import { kafkaErrorChain } from '#common';
import type { KafkaSettings } from '../config/app-config.js';

/** A Kafka connection misconfiguration that waiting cannot fix: the service stops with this one line. */
export class KafkaMisconfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaMisconfiguredError';
  }
}

/** A closed connection before any answer, this many times in a row at start-up, is not a broker restarting. */
const CLOSED_BEFORE_ANSWER_LIMIT = 3;

/**
 * Tells a broker that is not there yet (retry) from a connection that can never work: wrong
 * credentials, an untrusted certificate, TLS spoken to a plaintext listener or the other way
 * round. Messages name the setting to check and never carry a secret.
 */
export class KafkaStartupErrors {
  private closedInARow = 0;

  constructor(private readonly kafka: KafkaSettings) {}

  /** The misconfiguration this error shows, or null when it is worth trying again. */
  misconfiguration(error: unknown): KafkaMisconfiguredError | null {
    const message = this.describe(error);
    return message === null ? null : new KafkaMisconfiguredError(`Kafka: ${message}`);
  }

  private describe(error: unknown): string | null {
    const chain = kafkaErrorChain(error);
    const brokers = this.kafka.brokers.join(',');
    const sasl = chain.find((link) => link.name === 'KafkaJSSASLAuthenticationError');
    if (sasl && this.kafka.sasl) {
      const { username, mechanism } = this.kafka.sasl;
      return `${brokers} refused the SASL ${mechanism} login of user "${username}" (${brokerReason(sasl)}): check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`;
    }
    const tlsCode = chain.map((link) => link.code).find((code): code is string => typeof code === 'string' && isCertificateError(code));
    if (tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `the certificate of ${brokers} does not name the host in KAFKA_BROKERS (${tlsCode}): connect by a name the certificate holds, or set KAFKA_SSL_VERIFY_HOSTNAME=false`;
    }
    if (tlsCode) {
      return `the TLS certificate of ${brokers} is not trusted (${tlsCode}): KAFKA_SSL_CA_FILE must hold the CA that signed it`;
    }
    if (this.kafka.tls && chain.some((link) => /before secure TLS connection was established/.test(String(link.message)))) {
      return `${brokers} closed the connection during the TLS handshake: is it a plaintext listener? (KAFKA_SSL=true expects TLS)`;
    }
    return this.closedBeforeAnswer(chain, brokers);
  }

  /** kafkajs's "Closed connection": what a TLS or SASL listener does with a plaintext request. */
  private closedBeforeAnswer(chain: Record<string, unknown>[], brokers: string): string | null {
    if (!chain.some((link) => link.name === 'KafkaJSConnectionClosedError')) {
      this.closedInARow = 0;
      return null;
    }
    this.closedInARow += 1;
    if (this.closedInARow < CLOSED_BEFORE_ANSWER_LIMIT) return null;
    const expects = [this.kafka.tls ? null : 'TLS (KAFKA_SSL=true)', this.kafka.sasl ? null : 'SASL (KAFKA_SASL_MECHANISM)'].filter(
      Boolean,
    );
    return `${brokers} closed the connection before answering, ${this.closedInARow} times in a row: ${
      expects.length > 0 ? `does the listener expect ${expects.join(' or ')}?` : 'is this a Kafka listener with TLS and SASL?'
    }`;
  }
}

function isCertificateError(code: string): boolean {
  return /CERT|SELF_SIGNED|ISSUER|SIGNATURE|ALTNAME/.test(code) && code !== 'ECONNRESET';
}

/** The broker's own words after kafkajs's prefix; they name the mechanism, never the password. */
function brokerReason(error: Record<string, unknown>): string {
  return (typeof error.message === 'string' ? error.message : 'authentication failed').replace(/^SASL [\w ]+ authentication failed: /, '');
}
