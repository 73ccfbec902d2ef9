import { createHash } from 'node:crypto';

/** What the provider needs to authenticate a call. The secret itself never goes on the wire. */
export interface ProviderCredentials {
  apiKey: string;
  apiSecret: string;
}

/** The four headers the provider documents for every request. */
export interface SignedHeaders {
  'Content-Type': 'application/json;charset=UTF-8';
  'Api-Key': string;
  Timestamp: string;
  Sign: string;
}

/** The provider's documented signature: md5(apiKey + apiSecret + timestamp), lowercase hex, no separators. */
export function signRequest(apiKey: string, apiSecret: string, timestampSeconds: number): string {
  return createHash('md5').update(`${apiKey}${apiSecret}${timestampSeconds}`, 'utf8').digest('hex');
}

/** The provider expects Unix SECONDS; our clocks count milliseconds. */
export function toUnixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/**
 * Headers for one attempt. Callers pass a fresh timestamp per attempt, because the provider
 * rejects stale ones (-16) and a retry must be signed again.
 */
export function buildSignedHeaders(credentials: ProviderCredentials, timestampSeconds: number): SignedHeaders {
  return {
    'Content-Type': 'application/json;charset=UTF-8',
    'Api-Key': credentials.apiKey,
    Timestamp: String(timestampSeconds),
    Sign: signRequest(credentials.apiKey, credentials.apiSecret, timestampSeconds),
  };
}
