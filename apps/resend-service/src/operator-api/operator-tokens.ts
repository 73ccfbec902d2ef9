import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The configured operator tokens, kept only as SHA-256 digests. A presented token is hashed and
 * compared with every digest in constant time (equal lengths by construction, no early exit), so
 * neither the timing nor the comparison order tells how much of a token was right.
 */
export class OperatorTokens {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(sha256);
  }

  get configured(): boolean {
    return this.digests.length > 0;
  }

  /** The fingerprint of the matching token (to record who replayed), or null when none matches. */
  match(presented: string): string | null {
    const digest = sha256(presented);
    let matched: Buffer | null = null;
    for (const known of this.digests) {
      if (timingSafeEqual(digest, known)) matched = known;
    }
    return matched === null ? null : fingerprintOf(matched);
  }
}

/**
 * Names a token without revealing it: the first 12 hex digits of its SHA-256
 * (`printf %s "$TOKEN" | sha256sum | cut -c1-12`).
 */
export function fingerprintOf(digest: Buffer): string {
  return `token:${digest.toString('hex').slice(0, 12)}`;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  return match ? match[1]! : null;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
