import type { ProviderCallResult } from './provider-call-result.js';

const MASK = '[redacted]';

/**
 * Defence in depth: nothing we hand to callers may contain the secret or a Sign, even if the
 * provider or a proxy echoes them back in a body or an error.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((masked, secret) => (secret === '' ? masked : masked.replaceAll(secret, MASK)), text);
}

/** The same, applied to the free-text field of each kind of outcome. */
export function maskSecretsInResult(result: ProviderCallResult, secrets: readonly string[]): ProviderCallResult {
  switch (result.kind) {
    case 'accepted':
    case 'rejected':
      return { ...result, reason: maskSecrets(result.reason, secrets) };
    case 'http_error':
      return { ...result, bodyExcerpt: maskSecrets(result.bodyExcerpt, secrets) };
    case 'transport_error':
      return { ...result, message: maskSecrets(result.message, secrets) };
  }
}
