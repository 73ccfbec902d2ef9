import { describe, expect, it } from 'vitest';
import { expectedSign, isSignatureValid, isTimestampFresh } from './signature-check.js';

const credentials = { apiKey: 'bDqJFiq9', apiSecret: '7bz1lzh9' };

describe('signature check', () => {
  it('agrees with the worked example of the provider documentation', () => {
    expect(expectedSign('bDqJFiq9', '7bz1lzh9', '1630468800')).toBe('05d7a50893e22a5c4bb3216ae3396c7c');
    expect(isSignatureValid({ apiKey: 'bDqJFiq9', timestamp: '1630468800', sign: '05d7a50893e22a5c4bb3216ae3396c7c' }, credentials)).toBe(
      true,
    );
  });

  it.each([
    ['a wrong sign', { apiKey: 'bDqJFiq9', timestamp: '1630468800', sign: '05d7a50893e22a5c4bb3216ae3396c7d' }],
    ['an uppercase sign', { apiKey: 'bDqJFiq9', timestamp: '1630468800', sign: '05D7A50893E22A5C4BB3216AE3396C7C' }],
    ['another key', { apiKey: 'other', timestamp: '1630468800', sign: '05d7a50893e22a5c4bb3216ae3396c7c' }],
    ['a missing sign', { apiKey: 'bDqJFiq9', timestamp: '1630468800', sign: null }],
    ['a missing timestamp', { apiKey: 'bDqJFiq9', timestamp: null, sign: '05d7a50893e22a5c4bb3216ae3396c7c' }],
  ])('refuses %s', (_name, headers) => {
    expect(isSignatureValid(headers, credentials)).toBe(false);
  });
});

describe('isTimestampFresh', () => {
  const now = 1630468800_000;

  it('accepts timestamps within the window either way', () => {
    expect(isTimestampFresh('1630468800', now, 300)).toBe(true);
    expect(isTimestampFresh('1630468500', now, 300)).toBe(true);
    expect(isTimestampFresh('1630469100', now, 300)).toBe(true);
  });

  it.each([['1630468499'], ['1630469101'], ['1630468800000'], ['abc'], [null]])('refuses %j', (timestamp) => {
    expect(isTimestampFresh(timestamp, now, 300)).toBe(false);
  });
});
