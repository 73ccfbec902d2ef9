import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { HttpExchangeResult } from './http-exchange.js';
import { parseProviderEnvelope } from './provider-envelope.js';
import { isSuccessfulHttpStatus } from './resend-ai-response.js';
import { maskSecrets } from './secret-masking.js';

/** The instrumentation scope of the provider client's spans. */
export const ITNIOTECH_TRACER_NAME = 'itniotech-client';

/** What a call is for, on its span (`itniotech.call.kind`). */
export type ProviderCallKind = 'submit' | 'lookup' | 'detail';

/**
 * The HTTP client span of one provider call (one signed attempt), with the attributes of the
 * OpenTelemetry HTTP semantic conventions, child of the active span. Deliberately nothing of the
 * request's headers: the Sign and the Api-Key are never on a span, nor is the secret; the URL is
 * written without credentials or query. Besides the HTTP status, `itniotech.status` is the
 * provider's own code from the answer's envelope (`0` accepted, `-41`, `-15`, …).
 *
 * While tracing is off this is the API's no-op span and no attribute is even computed.
 */
export function startCallSpan(method: string, url: URL, kind: ProviderCallKind): Span {
  const span = trace.getTracer(ITNIOTECH_TRACER_NAME).startSpan(method, { kind: SpanKind.CLIENT });
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_URL_FULL]: `${url.protocol}//${url.host}${url.pathname}`,
      [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[|\]$/g, ''),
      [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      'itniotech.call.kind': kind,
    });
  }
  return span;
}

/** Ends the span with what the exchange came to; `secrets` are masked out of any error text. */
export function endCallSpan(span: Span, exchange: HttpExchangeResult, secrets: readonly string[]): void {
  if (span.isRecording()) {
    if (exchange.kind === 'transport_error') {
      span.setAttribute(ATTR_ERROR_TYPE, exchange.errorCode);
      span.setAttribute('itniotech.status', exchange.errorCode);
      span.setStatus({ code: SpanStatusCode.ERROR, message: maskSecrets(exchange.message, secrets) });
    } else {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, exchange.httpStatus);
      if (exchange.httpStatus >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(exchange.httpStatus));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      // The same codes as the classification: the envelope's status, BAD_RESPONSE, HTTP_<status>.
      const status = isSuccessfulHttpStatus(exchange.httpStatus)
        ? (parseProviderEnvelope(exchange.bodyText)?.status ?? 'BAD_RESPONSE')
        : `HTTP_${exchange.httpStatus}`;
      span.setAttribute('itniotech.status', status);
    }
  }
  span.end();
}
