import type { HttpExchangeResult } from './http-exchange.js';
import type { ProviderCallResult } from './provider-call-result.js';
import { parseProviderEnvelope, readProviderId } from './provider-envelope.js';
import { cutText } from './provider-text.js';

const BODY_EXCERPT_LENGTH = 200;

/** What the client knows about an attempt besides its answer. */
export interface AttemptMetadata {
  latencyMs: number;
  timestamp: number;
}

/**
 * Turns the raw answer to `POST /voice/group/call/resend/ai` into one outcome.
 * The provider reports its errors as HTTP 200 with a non-zero status, so only a readable
 * envelope counts as an answer; anything else is an HTTP-level error.
 */
export function interpretResendAiAnswer(exchange: HttpExchangeResult, metadata: AttemptMetadata): ProviderCallResult {
  if (exchange.kind === 'transport_error') return { ...exchange, ...metadata };

  const { httpStatus, bodyText } = exchange;
  const envelope = isSuccessfulHttpStatus(httpStatus) ? parseProviderEnvelope(bodyText) : undefined;
  if (envelope === undefined) {
    return { kind: 'http_error', httpStatus, bodyExcerpt: excerpt(bodyText), ...metadata };
  }
  if (envelope.status !== '0') {
    return { kind: 'rejected', httpStatus, providerStatus: envelope.status, reason: envelope.reason, ...metadata };
  }
  const taskId = readProviderId(envelope.data);
  if (taskId === undefined) {
    // "Success" without the new task's id: we cannot record the task, so it is not an acceptance.
    return { kind: 'http_error', httpStatus, bodyExcerpt: excerpt(bodyText), ...metadata };
  }
  return { kind: 'accepted', taskId, httpStatus, providerStatus: '0', reason: envelope.reason, ...metadata };
}

export function isSuccessfulHttpStatus(httpStatus: number): boolean {
  return httpStatus >= 200 && httpStatus < 300;
}

function excerpt(bodyText: string): string {
  const singleLine = bodyText.replace(/\s+/g, ' ').trim();
  return singleLine.length > BODY_EXCERPT_LENGTH ? `${cutText(singleLine, BODY_EXCERPT_LENGTH)}…` : singleLine;
}
