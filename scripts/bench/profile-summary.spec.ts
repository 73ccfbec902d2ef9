import { describe, expect, it } from 'vitest';
import { codeOwner, summarizeProfile, type CpuProfile } from './profile-summary.js';

const frame = (functionName: string, url = '') => ({ functionName, url });

describe('summarizeProfile', () => {
  // root → pg query → node:net writev (native)      ; root → (garbage collector) ; root → (idle)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5, 6] },
      { id: 2, callFrame: frame('query', 'file:///app/node_modules/pg/lib/client.js'), children: [3] },
      { id: 3, callFrame: frame('writev', 'node:net') },
      { id: 4, callFrame: frame('(garbage collector)') },
      { id: 5, callFrame: frame('(idle)') },
      { id: 6, callFrame: frame('claim', 'file:///app/dist/apps/resend-service/src/submission/request-claims.js') },
    ],
    samples: [3, 3, 2, 4, 5, 5, 6],
    timeDeltas: [1000, 1000, 1000, 1000, 5000, 5000, 1000],
  };

  it('charges Node internals to the package that called them, and leaves idle time out', () => {
    expect(summarizeProfile(profile)).toEqual([
      { owner: 'pg', ms: 3, share: 0.6 },
      { owner: '(garbage collector)', ms: 1, share: 0.2 },
      { owner: 'service: submission', ms: 1, share: 0.2 },
    ]);
  });
});

describe('codeOwner', () => {
  it('names packages, scoped packages, service folders and libraries', () => {
    expect(codeOwner('file:///w/node_modules/@nestjs/core/router.js')).toBe('@nestjs/core');
    expect(codeOwner('file:///w/node_modules/typeorm/query.js')).toBe('typeorm');
    expect(codeOwner('file:///w/dist/apps/resend-service/src/intake/request-recorder.js')).toBe('service: intake');
    expect(codeOwner('file:///w/dist/apps/resend-service/src/main.js')).toBe('service: main');
    expect(codeOwner('file:///w/dist/libs/outbox/src/outbox.relay.js')).toBe('lib: outbox');
    expect(codeOwner('node:net')).toBeUndefined();
  });
});
