import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { describeEndpoint } from './tracing-settings.js';

const required = { ITNIOTECH_API_KEY: 'key', ITNIOTECH_API_SECRET: 'secret' };
const tracingWith = (env: Record<string, string>) => loadConfig({ ...required, ...env }).tracing;

describe('tracing settings (the standard OTEL_ variables)', () => {
  it('is off when no OTEL_ variable is set', () => {
    expect(tracingWith({})).toMatchObject({ enabled: false, reason: expect.stringContaining('none of OTEL_SERVICE_NAME') });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp' }, 'http://collector:4318/otlp/v1/traces'],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' },
      'https://collector/traces',
    ],
    [{ OTEL_SERVICE_NAME: 'relay-eu' }, 'http://localhost:4318/v1/traces'],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, 'http://localhost:4318/v1/traces'],
  ])('is on with %j, sending spans to %s', (env, endpoint) => {
    expect(tracingWith(env)).toMatchObject({ enabled: true, endpoint, protocol: 'http/protobuf' });
  });

  it('names the service after OTEL_SERVICE_NAME, resend-relay by default', () => {
    expect(tracingWith({ OTEL_SERVICE_NAME: 'relay-eu' }).serviceName).toBe('relay-eu');
    expect(tracingWith({ OTEL_TRACES_EXPORTER: 'otlp' }).serviceName).toBe('resend-relay');
  });

  it('takes the traces protocol over the general one', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingWith({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
    expect(
      tracingWith({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).protocol,
    ).toBe('http/protobuf');
  });

  it.each([
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'OTEL_SDK_DISABLED=true'],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'relay' }, 'OTEL_TRACES_EXPORTER=none'],
  ])('is off again with %j', (env, reason) => {
    expect(tracingWith(env)).toMatchObject({ enabled: false, reason });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (grpc is not supported)'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER must be otlp or none'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL'],
  ])('stops the start-up on %j', (env, problem) => {
    expect(() => tracingWith(env)).toThrow(problem);
  });

  it('describes the endpoint without credentials or query', () => {
    expect(describeEndpoint('https://user:token@collector:4318/v1/traces?key=secret')).toBe('https://collector:4318/v1/traces');
  });
});
