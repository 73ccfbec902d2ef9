import { describe, expect, it } from 'vitest';
import { bodyFingerprint } from './body-fingerprint.js';

describe('bodyFingerprint', () => {
  it('ignores key order, also inside nested windows', () => {
    const a = { keyId: 1, taskName: 't', allowSendTime: [{ strTime: '10:00', endTime: '12:00' }] };
    const b = { allowSendTime: [{ endTime: '12:00', strTime: '10:00' }], taskName: 't', keyId: 1 };
    expect(bodyFingerprint(a)).toBe(bodyFingerprint(b));
  });

  it('tells different payloads apart', () => {
    expect(bodyFingerprint({ keyId: 1, scriptId: 1 })).not.toBe(bodyFingerprint({ keyId: 1, scriptId: 2 }));
    expect(bodyFingerprint({ keyId: 1, sendTime: null })).not.toBe(bodyFingerprint({ keyId: 1 }));
  });
});
