import { describe, expect, it } from 'vitest';
import { recordFingerprint } from './record-fingerprint.js';

const record = {
  timestamp: '1764400000000',
  key: Buffer.from('123'),
  value: Buffer.from('{"keyId":123}'),
  headers: { traceparent: Buffer.from('00-abc-def-01') },
};

describe('recordFingerprint', () => {
  it('is the same for the same record read again', () => {
    const copy = { ...record, key: Buffer.from('123'), value: Buffer.from('{"keyId":123}'), headers: { traceparent: '00-abc-def-01' } };
    expect(recordFingerprint(copy)).toBe(recordFingerprint(record));
    expect(recordFingerprint(record)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when the timestamp, key, value or a header differs', () => {
    const others = [
      { ...record, timestamp: '1764400000001' },
      { ...record, key: Buffer.from('124') },
      { ...record, value: Buffer.from('{"keyId":124}') },
      { ...record, headers: { traceparent: Buffer.from('00-abc-def-00') } },
      { ...record, headers: {} },
    ];
    const fingerprints = new Set([record, ...others].map(recordFingerprint));
    expect(fingerprints.size).toBe(others.length + 1);
  });

  it('tells an absent key or value from an empty one, and does not run parts together', () => {
    expect(recordFingerprint({ ...record, key: null })).not.toBe(recordFingerprint({ ...record, key: Buffer.alloc(0) }));
    expect(recordFingerprint({ ...record, value: null })).not.toBe(recordFingerprint({ ...record, value: Buffer.alloc(0) }));
    expect(recordFingerprint({ ...record, key: Buffer.from('ab'), value: Buffer.from('c') })).not.toBe(
      recordFingerprint({ ...record, key: Buffer.from('a'), value: Buffer.from('bc') }),
    );
  });
});
