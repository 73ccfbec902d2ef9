import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSettings } from '../config/app-config.js';
import type { KafkaTlsSettings } from '../config/connection-security.js';

/**
 * The one place that turns the configuration into kafkajs connection settings (brokers, client id,
 * TLS, SASL, connection timeouts), for every Kafka client of the service and its tools: the
 * consumer, the outbox relay's producer, the admin client and scripts/publish-sample.
 * Callers add what is theirs (log level, retry). `role` suffixes the client id (`-admin`, `-outbox`).
 */
export function kafkaClientConfig(config: { kafka: KafkaSettings }, role?: string): KafkaConfig {
  const { kafka } = config;
  return {
    clientId: role ? `${kafka.clientId}-${role}` : kafka.clientId,
    brokers: kafka.brokers,
    ssl: kafka.tls ? tlsOptions(kafka.tls) : false,
    ...(kafka.sasl ? { sasl: { ...kafka.sasl } as SASLOptions } : {}),
    connectionTimeout: kafka.connectionTimeoutMs,
    authenticationTimeout: kafka.authenticationTimeoutMs,
  };
}

function tlsOptions(tls: KafkaTlsSettings): ConnectionOptions {
  return {
    // The chain is always verified; only the host name check can be switched off (a broker
    // reached through an address its certificate does not name).
    rejectUnauthorized: true,
    ...(tls.ca !== null ? { ca: [tls.ca] } : {}),
    ...(tls.clientCertificate ?? {}),
    ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}
