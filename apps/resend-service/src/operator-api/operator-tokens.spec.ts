import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import { OperatorTokenGuard } from './operator-token.guard.js';
import { bearerToken, OperatorTokens } from './operator-tokens.js';

// The real functions, watched: which comparisons the token check makes.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

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

describe('OperatorTokens: compared in constant time (docs/operations.md)', () => {
  const tokens = new OperatorTokens([alice, bob]);

  it.each([
    ['the first token', alice],
    ['the second token', bob],
    ['a wrong token of another length', 'x'],
  ])('compares %s with every configured token, as SHA-256 digests (equal lengths), without stopping at a match', (_case, presented) => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    tokens.match(presented);
    expect(compare).toHaveBeenCalledTimes(2);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});

describe('OperatorTokenGuard: a token is never echoed (docs/operations.md)', () => {
  const guard = new OperatorTokenGuard({ operatorApi: { tokens: [alice, bob] } } as AppConfig);

  function contextFor(authorization: string) {
    const request: { method: string; path: string; headers: { authorization: string }; operator?: string } = {
      method: 'GET',
      path: '/requests',
      headers: { authorization },
    };
    const response = { setHeader: () => {} };
    const context = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
    return { request, context };
  }

  it('refuses a wrong token with a 401 whose message and body do not contain it', () => {
    const wrong = 'carol-token-0123456789';
    const { context } = contextFor(`Bearer ${wrong}`);
    let thrown: unknown;
    try {
      guard.canActivate(context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 401 });
    const error = thrown as Error & { getResponse(): unknown };
    expect(error.message).not.toContain(wrong);
    expect(JSON.stringify(error.getResponse())).not.toContain(wrong);
    expect(String(error.stack)).not.toContain(wrong);
  });

  it('lets a right token in, naming the operator by fingerprint, not by the token', () => {
    const { request, context } = contextFor(`Bearer ${alice}`);
    expect(guard.canActivate(context)).toBe(true);
    expect(request.operator).toMatch(/^token:[0-9a-f]{12}$/);
    expect(request.operator).not.toContain(alice);
  });
});
