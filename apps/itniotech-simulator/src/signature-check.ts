import { createHash, timingSafeEqual } from 'node:crypto';

export interface AuthHeaders {
  apiKey: string | null;
  timestamp: string | null;
  sign: string | null;
}

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

/**
 * The provider's rule, written here on its own rather than imported from our client library,
 * so that a bug in the client's signing cannot be mirrored by the simulator.
 */
export function expectedSign(apiKey: string, apiSecret: string, timestamp: string): string {
  return createHash('md5')
    .update(apiKey + apiSecret + timestamp, 'utf8')
    .digest('hex');
}

export function isSignatureValid(headers: AuthHeaders, credentials: Credentials): boolean {
  if (headers.apiKey === null || headers.timestamp === null || headers.sign === null) return false;
  if (headers.apiKey !== credentials.apiKey) return false;
  const expected = Buffer.from(expectedSign(credentials.apiKey, credentials.apiSecret, headers.timestamp));
  const given = Buffer.from(headers.sign);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The Timestamp is Unix seconds within `windowSeconds` of now, either way. */
export function isTimestampFresh(timestamp: string | null, nowMs: number, windowSeconds: number): boolean {
  if (timestamp === null || !/^\d+$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) - Math.floor(nowMs / 1000)) <= windowSeconds;
}
