import type { Environment } from '../config/environment.schema.js';

/** The exporter's own default when no endpoint is set (an OpenTelemetry Collector on this host). */
export const DEFAULT_OTLP_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';
export const DEFAULT_SERVICE_NAME = 'resend-relay';

/** Tracing as configured by the standard OTEL_ variables. */
export interface TracingSettings {
  enabled: boolean;
  /** Why it is on or off, for the start-up line (names variables, never values). */
  reason: string;
  serviceName: string;
  /** OTLP over HTTP: protobuf (the OpenTelemetry default) or JSON. */
  protocol: 'http/protobuf' | 'http/json';
  /** Where spans are sent (OTLP/HTTP traces URL). */
  endpoint: string;
}

/** The variables any of which turns tracing on. */
const TURNS_ON = [
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
] as const;

/**
 * Off unless one of TURNS_ON is set; off again with OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none. The endpoint follows the OTLP exporter specification:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`,
 * else http://localhost:4318/v1/traces; the protocol likewise (the traces-specific one first).
 */
export function tracingSettings(env: Environment): TracingSettings {
  const set = TURNS_ON.filter((name) => env[name] !== undefined);
  const common = {
    serviceName: env.OTEL_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    endpoint: tracesEndpoint(env),
  };
  if (env.OTEL_SDK_DISABLED) return { ...common, enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  if (env.OTEL_TRACES_EXPORTER === 'none') return { ...common, enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  if (set.length === 0) return { ...common, enabled: false, reason: `none of ${TURNS_ON.join(', ')} is set` };
  return { ...common, enabled: true, reason: `${set.join(', ')} set` };
}

function tracesEndpoint(env: Environment): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return DEFAULT_OTLP_TRACES_ENDPOINT;
}

/** The endpoint for a log line: no credentials, no query. */
export function describeEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname}`;
}
