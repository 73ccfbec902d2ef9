import { armDatabaseName, createArmTopics, startContender, type BenchContext } from './bench-context.js';
import { firstPublishedAt, prefillOutbox, waitUntilOutboxPublished } from './bench-database.js';
import { say } from './bench-log.js';
import { perSecond } from './statistics.js';

export interface DrainResult {
  events: number;
  eventsPerSecond: number | undefined;
}

/**
 * The outbox relay alone: N completed-event rows are inserted directly, then the service starts
 * with submission off on a requested topic nobody writes to. Rate = N / (time from the first
 * publishing transaction, min(published_at), until the benchmark sees no unpublished row).
 */
export async function runDrainArm(context: BenchContext): Promise<DrainResult> {
  const n = context.settings.requests;
  const arm = 'service-drain';
  say(`${arm}: ${n.toLocaleString('en-US')} outbox rows`);
  const topics = await createArmTopics(context, arm);
  const database = await context.database.createArmDatabase(armDatabaseName(arm));
  await prefillOutbox(database.observer, topics.completed, context.requests.createMany(arm, n));
  say(`${arm}: outbox pre-filled; starting the service with SUBMISSION_ENABLED=false`);
  const running = startContender(context, 'service', arm, topics, database.url, { SUBMISSION_ENABLED: 'false' });
  try {
    await waitUntilOutboxPublished(database.observer, n, 60_000 + n * 50, () => running.assertRunning());
    const drainedAt = Date.now();
    const result = { events: n, eventsPerSecond: perSecond(n, drainedAt - (await firstPublishedAt(database.observer))) };
    say(`${arm}: ${result.eventsPerSecond?.toFixed(0)} events/s`);
    return result;
  } finally {
    await running.stop();
    await database.observer.end();
  }
}
