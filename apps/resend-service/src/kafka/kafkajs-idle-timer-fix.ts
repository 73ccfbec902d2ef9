import { createRequire } from 'node:module';

/** The one kafkajs release this fix is written against (its last, from 2023). */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** kafkajs' per-connection request queue: only what the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own interval between checks while requests wait for a free in-flight slot. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

const require = createRequire(import.meta.url);

/**
 * kafkajs 2.2.4 keeps a timer firing every millisecond on every broker connection, forever, once it
 * has answered a request: with nothing pending and no throttling, `scheduleCheckPendingRequests`
 * computes a negative delay (-1 − now) and schedules itself again (tulios/kafkajs#1556; the fix,
 * #1667, was never released). Here: ~1,600 event-loop wake-ups a second and 5% of a core with the
 * service idle. This replaces that method with the fix proposed upstream: with nothing pending
 * and no throttle in force there is nothing to check — `push` schedules a check when it queues a
 * request, and every answer or timeout checks the queue anyway.
 *
 * Applied once per process, before any Kafka client connects; a different kafkajs version is
 * left alone (its spec fails, so that whoever upgrades looks at it again).
 */
export function fixKafkajsIdleTimer(): boolean {
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== FIXED_KAFKAJS_VERSION) return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}
