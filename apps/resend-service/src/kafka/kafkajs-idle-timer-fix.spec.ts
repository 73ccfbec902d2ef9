import { createRequire } from 'node:module';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXED_KAFKAJS_VERSION, fixKafkajsIdleTimer, type RequestQueueInternals } from './kafkajs-idle-timer-fix.js';

const require = createRequire(import.meta.url);
type RequestQueueClass = new (options: object) => RequestQueueInternals & {
  push(request: object): void;
  fulfillRequest(response: object): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
};
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;

const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };

/** A queue as a broker connection has it; `maxInFlightRequests` 1 so that a second request waits. */
function queue() {
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: '127.0.0.1:9092',
    logger: silent,
  });
}

function request(correlationId: number) {
  const entry = { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 0, resolve: () => undefined, reject: () => undefined };
  return { entry, expectResponse: true, sendRequest: () => undefined };
}

describe('fixKafkajsIdleTimer', () => {
  beforeAll(() => {
    fixKafkajsIdleTimer();
  });
  afterEach(() => vi.useRealTimers());

  it(`is written against kafkajs ${FIXED_KAFKAJS_VERSION}: after an upgrade, check whether the loop is still there`, () => {
    expect((require('kafkajs/package.json') as { version: string }).version).toBe(FIXED_KAFKAJS_VERSION);
    expect(fixKafkajsIdleTimer()).toBe(true);
  });

  it('leaves no timer running once the last answer is in and nothing waits', () => {
    vi.useFakeTimers();
    const requests = queue();
    requests.push(request(1));
    requests.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });

    expect(requests.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    requests.destroy();
  });

  it('still sends a request that waited for a free in-flight slot', () => {
    vi.useFakeTimers();
    const requests = queue();
    const sent: number[] = [];
    const tracked = (id: number) => ({ ...request(id), sendRequest: () => sent.push(id) });
    requests.push(tracked(1));
    requests.push(tracked(2));
    expect(sent).toEqual([1]);

    requests.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    requests.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    vi.runOnlyPendingTimers();
    expect(vi.getTimerCount()).toBe(0);
    requests.destroy();
  });

  it('checks again when a broker throttle ends, even with nothing pending yet', () => {
    vi.useFakeTimers();
    const requests = queue();
    const sent: number[] = [];
    requests.maybeThrottle(50);
    requests.push({ ...request(1), sendRequest: () => sent.push(1) });
    expect(sent).toEqual([]);

    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    requests.destroy();
  });
});
