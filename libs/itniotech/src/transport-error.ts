import type { TransportErrorCode } from './provider-call-result.js';

export interface TransportFailure {
  kind: 'transport_error';
  errorCode: TransportErrorCode;
  message: string;
  outcomeUnknown: boolean;
}

/**
 * Names a socket-level failure. `connected` says whether the connection to the provider was
 * established when it failed: only then can the provider have seen the request, so only then is
 * the outcome unknown.
 */
export function describeTransportError(error: unknown, connected: boolean): TransportFailure {
  const code = errorCodeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'EPROXY_UNREACHABLE':
    case 'EPROXY_REFUSED':
      // Failed before a tunnel to the provider existed: the request cannot have reached it.
      return failure('NETWORK', detail, false);
    case 'EPROXY_TIMEOUT':
      return failure('TIMEOUT', detail, false);
    case 'ECONNREFUSED':
      return failure('CONNECTION_REFUSED', `The provider refused the connection (${detail})`, false);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failure('NETWORK', `The provider's host name could not be resolved (${detail})`, false);
    case 'ECONNRESET':
    case 'EPIPE':
      return failure('CONNECTION_RESET', `The connection was closed before an answer arrived (${detail})`, connected);
    case 'ETIMEDOUT':
      return failure('TIMEOUT', `The network timed out (${detail})`, connected);
    default:
      return failure('NETWORK', `Network error (${code ?? 'no code'}: ${detail})`, connected);
  }
}

/** Our own deadline passed before the answer was complete. */
export function describeTimeout(timeoutMs: number, connected: boolean): TransportFailure {
  const where = connected ? 'after the request was sent' : 'while connecting';
  return failure('TIMEOUT', `No complete answer within ${timeoutMs} ms (${where})`, connected);
}

function failure(errorCode: TransportErrorCode, message: string, outcomeUnknown: boolean): TransportFailure {
  return { kind: 'transport_error', errorCode, message, outcomeUnknown };
}

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
