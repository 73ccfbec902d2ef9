import { createRequire } from 'node:module';
import { Kafka, type KafkaConfig } from 'kafkajs';

/** The part of kafkajs's per-connection request queue that the fix below touches. */
interface RequestQueuePrototype {
  scheduleCheckPendingRequests: (this: RequestQueueState) => void;
}
interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
}

let idlePollingStopped = false;

/**
 * kafkajs 2.2.4 re-arms a timer of "throttle end − now" after every check of a connection's
 * request queue, also when nothing waits and no throttle applies: a negative delay, which Node
 * runs after 1 ms. Every open connection then wakes a thousand times a second while idle (about
 * 25 ms of CPU per second for a producer and an admin client), and Node 24 warns
 * `TimeoutNegativeWarning` (tulios/kafkajs#1751, fix proposed in #1768, unreleased). A request
 * pushed later arms the check itself, so with nothing pending and no throttle there is nothing
 * to check: skip the timer then. Applied once per process, before any client connects.
 */
export function stopKafkajsIdlePolling(): void {
  if (idlePollingStopped) return;
  idlePollingStopped = true;
  const require = createRequire(import.meta.url);
  const requestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueuePrototype };
  const schedule = requestQueue.prototype.scheduleCheckPendingRequests;
  requestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueState) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
}

/** A kafkajs client, with the idle polling above stopped. */
export function createKafkaClient(config: KafkaConfig): Kafka {
  stopKafkajsIdlePolling();
  return new Kafka(config);
}
