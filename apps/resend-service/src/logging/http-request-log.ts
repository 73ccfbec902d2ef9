import type { IncomingMessage } from 'node:http';
import type { Options } from 'pino-http';
import { traceLogFields } from './trace-log-fields.js';

/** What stands in for a value the log must not show (pino's own word for it). */
export const REDACTED = '[Redacted]';

/** Headers that carry credentials under names the pattern below does not catch. */
const CREDENTIAL_HEADERS = new Set(['cookie', 'set-cookie', 'proxy-authorization']);
/** Any header naming a key, token, secret, signature, password or authorisation: `x-api-key`, `x-auth-token`, `sign`. */
const CREDENTIAL_NAME = /token|secret|key|auth|sign|passw|credential|session/i;

/**
 * The HTTP request log of pino-http. A credential sent in the wrong place must not be written
 * out: every query-string value is redacted (only the parameter names are kept), and so is
 * every header that may hold a credential. The service itself sends none of these; callers and
 * proxies in front of it may.
 */
export function httpRequestLogOptions(level: string): Options<IncomingMessage> {
  return {
    level,
    // Health probes and metric scrapes every few seconds would drown the log.
    autoLogging: { ignore: (request) => /^\/(health|metrics)\b/.test(request.url ?? '') },
    serializers: { req: serializeRequest, res: serializeResponse },
    // trace_id and span_id of the active span (the request's record, processing or call span).
    mixin: traceLogFields,
  };
}

/** pino-std-serializers' request (method, url, query, params, headers, remote address), credentials redacted. */
export interface LoggedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  query?: unknown;
  params?: unknown;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
  raw?: IncomingMessage & { originalUrl?: string };
}

function serializeRequest(request: LoggedRequest): object {
  const target = redactedTarget(request.raw?.originalUrl ?? request.raw?.url ?? request.url ?? '');
  return {
    id: request.id,
    method: request.method,
    url: target.url,
    query: target.query,
    params: request.params,
    headers: redactHeaders(request.headers ?? {}),
    remoteAddress: request.remoteAddress,
    remotePort: request.remotePort,
  };
}

function serializeResponse(response: { statusCode?: number; headers?: Record<string, unknown> }): object {
  return { statusCode: response.statusCode, headers: redactHeaders(response.headers ?? {}) };
}

/** The path as sent, each query value replaced: `/requests/r-1?token=[Redacted]`, and `{ token: '[Redacted]' }`. */
export function redactedTarget(target: string): { url: string; query: Record<string, string> } {
  const queryStart = target.indexOf('?');
  if (queryStart === -1) return { url: target, query: {} };
  const names = [...new URLSearchParams(target.slice(queryStart + 1)).keys()];
  const query = Object.fromEntries(names.map((name) => [name, REDACTED]));
  const shown = names.map((name) => `${name}=${REDACTED}`).join('&');
  return { url: `${target.slice(0, queryStart)}?${shown}`, query };
}

export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, holdsCredential(name) ? REDACTED : value]));
}

export function holdsCredential(headerName: string): boolean {
  const name = headerName.toLowerCase();
  return CREDENTIAL_HEADERS.has(name) || CREDENTIAL_NAME.test(name);
}
