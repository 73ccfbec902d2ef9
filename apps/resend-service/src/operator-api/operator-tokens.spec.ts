import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerToken, OperatorTokens } from './operator-tokens.js';

const alice = 'alice-token-0123456789';
const bob = 'bob-token-9876543210ab';

describe('OperatorTokens', () => {
  const tokens = new OperatorTokens([alice, bob]);

  it('matches each configured token and names it by a fingerprint, not by the token', () => {
    const expected = `token:${createHash('sha256').update(bob).digest('hex').slice(0, 12)}`;
    expect(tokens.match(bob)).toBe(expected);
    expect(tokens.match(alice)).not.toBe(expected);
    expect(tokens.match(alice)).not.toContain(alice);
  });

  it('refuses a wrong token, a prefix of a right one and the empty string', () => {
    expect(tokens.match('alice-token-012345678X')).toBeNull();
    expect(tokens.match(alice.slice(0, -1))).toBeNull();
    expect(tokens.match('')).toBeNull();
  });

  it('is not configured without tokens', () => {
    expect(new OperatorTokens([]).configured).toBe(false);
    expect(tokens.configured).toBe(true);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
