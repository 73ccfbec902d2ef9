import type { Kafka, Producer } from 'kafkajs';
import { say } from './bench-log.js';
import { EXAMPLE_TASK_SETTINGS, type ExampleTaskSettings } from '../support/example-task-settings.js';

/** A valid `campaign.resend.requested` value (see docs/events.md), unique by requestId, keyId and taskName. */
export interface BenchRequest extends ExampleTaskSettings {
  requestId: string;
  correlationId: string;
  keyId: number;
  taskName: string;
}

/**
 * Requests of one arm. keyIds count up from a random base per run, so that arms and runs never
 * share a keyId (the service would take a shared one for a repeat); task names are unique
 * because the simulator refuses a name it has seen (-41).
 */
export class RequestFactory {
  private next = 0;

  constructor(
    private readonly runId: string,
    private readonly keyIdBase: number,
  ) {}

  create(arm: string): BenchRequest {
    const index = this.next++;
    return {
      requestId: `bench-${this.runId}-${arm}-${index}`,
      correlationId: `corr-${this.runId}-${index}`,
      keyId: this.keyIdBase + index,
      taskName: `bench ${this.runId} ${arm} ${index}`,
      ...EXAMPLE_TASK_SETTINGS,
    };
  }

  createMany(arm: string, count: number): BenchRequest[] {
    return Array.from({ length: count }, () => this.create(arm));
  }
}

function toMessage(request: BenchRequest) {
  return { key: String(request.keyId), value: JSON.stringify(request) };
}

/** Sends the backlog in chunks, each acknowledged by the broker, before anyone consumes it. */
export async function prefill(kafka: Kafka, topic: string, requests: BenchRequest[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const chunk = 1_000;
    for (let start = 0; start < requests.length; start += chunk) {
      await producer.send({ topic, acks: -1, messages: requests.slice(start, start + chunk).map(toMessage) });
    }
  } finally {
    await producer.disconnect();
  }
  say(`pre-filled ${requests.length.toLocaleString('en-US')} requests into ${topic}`);
}

/**
 * Sends one request at a time at `ratePerSecond`, each on its own produce call, and returns the
 * broker's append time (LogAppendTime) of each by requestId.
 */
export async function sendPaced(
  kafka: Kafka,
  topic: string,
  requests: BenchRequest[],
  ratePerSecond: number,
): Promise<Map<string, number>> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const appendedAt = new Map<string, number>();
  try {
    const startedAt = performance.now();
    const sends: Promise<void>[] = [];
    for (const [index, request] of requests.entries()) {
      const dueAt = startedAt + (index * 1000) / ratePerSecond;
      const wait = dueAt - performance.now();
      // Pacing, not synchronisation: the schedule of a constant-rate load.
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sends.push(
        producer.send({ topic, acks: -1, messages: [toMessage(request)] }).then(([metadata]) => {
          const time = Number(metadata?.logAppendTime);
          if (!(time > 0)) throw new Error(`no LogAppendTime in the produce answer for ${topic}`);
          appendedAt.set(request.requestId, time);
        }),
      );
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  return appendedAt;
}
