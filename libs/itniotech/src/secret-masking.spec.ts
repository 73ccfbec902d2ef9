import { describe, expect, it } from 'vitest';
import { maskSecrets, maskSecretsInResult } from './secret-masking.js';

describe('maskSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    expect(maskSecrets('sign=abc secret=s3cr3t again s3cr3t', ['s3cr3t', 'abc'])).toBe(
      'sign=[redacted] secret=[redacted] again [redacted]',
    );
  });

  it('ignores empty secrets instead of mangling the text', () => {
    expect(maskSecrets('plain', [''])).toBe('plain');
  });

  it('masks the free text of each outcome', () => {
    const result = maskSecretsInResult({ kind: 'http_error', httpStatus: 400, bodyExcerpt: 'echo: s3cr3t', latencyMs: 1, timestamp: 1 }, [
      's3cr3t',
    ]);
    expect(result).toMatchObject({ bodyExcerpt: 'echo: [redacted]' });
  });
});
