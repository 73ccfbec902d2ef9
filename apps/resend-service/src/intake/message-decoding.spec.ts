import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '#contracts';
import { decodeMessageValue } from './message-decoding.js';

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
});
