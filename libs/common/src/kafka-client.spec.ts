import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaClient } from './kafka-client.js';

interface QueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
}
const requestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
  prototype: { scheduleCheckPendingRequests: (this: QueueState) => void };
};

describe('createKafkaClient', () => {
  let queue: QueueState;
  afterEach(() => {
    if (queue?.throttleCheckTimeoutId) clearTimeout(queue.throttleCheckTimeoutId);
  });

  function schedule(state: Omit<QueueState, 'throttleCheckTimeoutId'>): QueueState {
    createKafkaClient({ brokers: ['127.0.0.1:1'] });
    queue = { ...state, throttleCheckTimeoutId: null };
    requestQueue.prototype.scheduleCheckPendingRequests.call(queue);
    return queue;
  }

  it('arms no check of an idle connection (nothing pending, no throttle): kafkajs would re-arm one every millisecond', () => {
    expect(schedule({ pending: [], throttledUntil: -1 }).throttleCheckTimeoutId).toBeNull();
  });

  it('still arms the check when a request waits, or when a throttle is to end', () => {
    expect(schedule({ pending: [{}], throttledUntil: -1 }).throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId!);
    expect(schedule({ pending: [], throttledUntil: Date.now() + 60_000 }).throttleCheckTimeoutId).not.toBeNull();
  });
});
