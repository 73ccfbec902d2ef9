import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '#contracts';
import { decodeMessageValue, MAX_JSON_NESTING } from './message-decoding.js';

describe('decodeMessageValue', () => {
  it('accepts a JSON object', () => {
    expect(decodeMessageValue(Buffer.from('{"keyId":1}'))).toEqual({ ok: true, value: { keyId: 1 } });
  });

  it.each([
    ['an empty value', null, 'not_json'],
    ['broken JSON', Buffer.from('{"keyId":'), 'not_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'not_json'],
    ['an array', Buffer.from('[1,2]'), 'not_an_object'],
    ['a string', Buffer.from('"hello"'), 'not_an_object'],
    ['null', Buffer.from('null'), 'not_an_object'],
    ['an oversized value', Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20), 'too_large'],
  ])('rejects %s', (_label, value, reason) => {
    const decoded = decodeMessageValue(value);
    expect(decoded.ok).toBe(false);
    expect(decoded.ok === false && decoded.reason).toBe(reason);
  });

  it('survives deep nesting', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    expect(decodeMessageValue(Buffer.from(deep)).ok).toBe(false);
  });

  const nestedIn = (levels: number) => `{"keyId":1,"extra":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`;

  it('refuses an object nested deeper than the service can store as unrecordable, before anything tries to store it', () => {
    // Storing it serialises it (JSON.stringify recurses): thousands of levels overflow the stack,
    // an error no retry fixes, which would stall the partition.
    const decoded = decodeMessageValue(Buffer.from(nestedIn(MAX_JSON_NESTING + 1)));
    expect(decoded).toEqual({
      ok: false,
      reason: 'unrecordable',
      message: `the message value is JSON nested deeper than ${MAX_JSON_NESTING} levels, the most the service stores`,
    });
    const deepest = decodeMessageValue(Buffer.from(nestedIn(30_000)));
    expect(deepest.ok === false && deepest.reason).toBe('unrecordable');
  });

  it('accepts nesting up to the limit, and what it accepts can be serialised to be stored', () => {
    const decoded = decodeMessageValue(Buffer.from(nestedIn(MAX_JSON_NESTING)));
    expect(decoded.ok).toBe(true);
    expect(() => JSON.stringify(decoded.ok && decoded.value)).not.toThrow();
  });
});
