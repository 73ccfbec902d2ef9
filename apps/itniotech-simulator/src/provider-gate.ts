import { failure, type ProviderAnswer } from './provider-statuses.js';
import { RateLimiter } from './rate-limiter.js';
import { RuntimeSettings } from './runtime-settings.js';
import { isSignatureValid, isTimestampFresh, type AuthHeaders } from './signature-check.js';

export interface GateInput {
  remoteAddress: string;
  headers: AuthHeaders;
}

/**
 * The checks the provider makes before looking at a request, in this order:
 * IP allow-list (-2), rate limit (-15), key and signature (-1), timestamp window (-16).
 */
export class ProviderGate {
  private readonly rateLimiter = new RateLimiter();

  constructor(private readonly settings: RuntimeSettings) {}

  /** The refusal, or undefined when the call may go on. */
  check(call: GateInput, nowMs: number): ProviderAnswer | undefined {
    const settings = this.settings.value;
    if (settings.allowedIps.length > 0 && !settings.allowedIps.includes(call.remoteAddress)) return failure('-2');
    if (!this.rateLimiter.tryAcquire(settings.rateLimitPerSecond, nowMs)) return failure('-15');
    if (!isSignatureValid(call.headers, settings)) return failure('-1');
    if (!isTimestampFresh(call.headers.timestamp, nowMs, settings.timestampWindowSeconds)) return failure('-16');
    return undefined;
  }

  reset(): void {
    this.rateLimiter.reset();
  }
}
