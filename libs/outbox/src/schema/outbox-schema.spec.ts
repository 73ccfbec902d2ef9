import type { QueryRunner } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { OUTBOX_CHANNEL, setWriterPublishes, WRITER_PUBLISHES_SETTING } from '../outbox.sql.js';
import { createOutboxTable, outboxMigrations } from './index.js';

/** The SQL the schema steps run, in order, as a migration runner would send it. */
async function schemaSql(): Promise<string[]> {
  const sent: string[] = [];
  const runner = { query: async (sql: string) => void sent.push(sql) } as unknown as QueryRunner;
  await createOutboxTable(runner);
  for (const Migration of outboxMigrations) await new Migration().up(runner);
  return sent;
}

describe('the outbox schema', () => {
  it('keeps each migration’s TypeORM name (its class name, ending with its timestamp), oldest first', () => {
    const names = outboxMigrations.map((Migration) => new Migration().name);

    expect(names).toEqual(outboxMigrations.map((Migration) => Migration.name));
    names.forEach((name) => expect(name).toMatch(/\d{13}$/));
    const timestamps = names.map((name) => Number(name!.slice(-13)));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
  });

  it('announces new rows on OUTBOX_CHANNEL unless the writing transaction says its writer publishes them', async () => {
    const triggers = (await schemaSql()).filter((sql) => sql.includes('FUNCTION notify_outbox_event()'));
    const current = triggers.at(-1)!;

    expect(current).toContain(`pg_notify('${OUTBOX_CHANNEL}', '')`);
    expect(current).toContain(`current_setting('${WRITER_PUBLISHES_SETTING}', true)`);
    expect(setWriterPublishes.text).toContain(`set_config('${WRITER_PUBLISHES_SETTING}', 'on', true)`);
  });
});
