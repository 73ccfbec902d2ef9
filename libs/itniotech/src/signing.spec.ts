import { describe, expect, it } from 'vitest';
import { buildSignedHeaders, signRequest, toUnixSeconds } from './signing.js';

describe('signRequest', () => {
  it('reproduces the worked example from the provider documentation', () => {
    expect(signRequest('bDqJFiq9', '7bz1lzh9', 1630468800)).toBe('05d7a50893e22a5c4bb3216ae3396c7c');
  });

  it('changes with the timestamp, so every attempt carries a new signature', () => {
    expect(signRequest('bDqJFiq9', '7bz1lzh9', 1630468801)).not.toBe('05d7a50893e22a5c4bb3216ae3396c7c');
  });
});

describe('buildSignedHeaders', () => {
  it('produces exactly the documented headers, with the timestamp in seconds', () => {
    const timestamp = toUnixSeconds(1630468800_999);
    expect(buildSignedHeaders({ apiKey: 'bDqJFiq9', apiSecret: '7bz1lzh9' }, timestamp)).toEqual({
      'Content-Type': 'application/json;charset=UTF-8',
      'Api-Key': 'bDqJFiq9',
      Timestamp: '1630468800',
      Sign: '05d7a50893e22a5c4bb3216ae3396c7c',
    });
  });
});
