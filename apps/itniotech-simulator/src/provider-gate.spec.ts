import { describe, expect, it } from 'vitest';
import { ProviderGate } from './provider-gate.js';
import { RuntimeSettings } from './runtime-settings.js';
import { expectedSign } from './signature-check.js';
import { resolveSimulatorSettings, type SimulatorSettings } from './simulator-settings.js';

const now = 1_700_000_000_000;
const timestamp = String(now / 1000);

function gateWith(settings: Partial<SimulatorSettings> = {}): ProviderGate {
  return new ProviderGate(new RuntimeSettings(resolveSimulatorSettings({ apiKey: 'key', apiSecret: 'secret', ...settings })));
}

function signedCall(overrides: { remoteAddress?: string; timestamp?: string; secret?: string } = {}) {
  const stamp = overrides.timestamp ?? timestamp;
  return {
    remoteAddress: overrides.remoteAddress ?? '127.0.0.1',
    headers: { apiKey: 'key', timestamp: stamp, sign: expectedSign('key', overrides.secret ?? 'secret', stamp) },
  };
}

describe('ProviderGate', () => {
  it('lets a well-signed, fresh call through', () => {
    expect(gateWith().check(signedCall(), now)).toBeUndefined();
  });

  it('answers -1 for a wrong secret', () => {
    expect(gateWith().check(signedCall({ secret: 'wrong' }), now)).toEqual({ status: '-1', reason: 'Authentication error' });
  });

  it('answers -16 for a stale timestamp that is correctly signed', () => {
    expect(gateWith().check(signedCall({ timestamp: String(now / 1000 - 301) }), now)).toEqual({
      status: '-16',
      reason: 'Timestamp expires',
    });
  });

  it('answers -2 for an address that is not allowed, before checking the signature', () => {
    const gate = gateWith({ allowedIps: ['10.0.0.1'] });
    expect(gate.check(signedCall({ secret: 'wrong' }), now)).toEqual({ status: '-2', reason: 'Restricted IP access' });
    expect(gate.check(signedCall({ remoteAddress: '10.0.0.1' }), now)).toBeUndefined();
  });

  it('answers -15 beyond the rate limit within one second, and lets calls in again the next second', () => {
    const gate = gateWith({ rateLimitPerSecond: 2 });
    const answers = [now, now + 10, now + 20, now + 1000].map(
      (at) => gate.check(signedCall({ timestamp: String(Math.floor(at / 1000)) }), at)?.status,
    );
    expect(answers).toEqual([undefined, undefined, '-15', undefined]);
  });
});
