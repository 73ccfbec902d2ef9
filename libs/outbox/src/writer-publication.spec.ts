import { describe, expect, it } from 'vitest';
import { markPublished, notePublishFailure } from './outbox.sql.js';
import { PublishFailures } from './publish-failures.js';
import { FakePublisher, FakeSqlDatabase, outboxRecord } from './testing/fake-ports.js';
import { WriterPublication } from './writer-publication.js';

class FakeRelay {
  isRunning = true;
  wakes = 0;

  wake(): void {
    this.wakes += 1;
  }
}

function publicationOn(database = new FakeSqlDatabase(), publisher = new FakePublisher()) {
  const relay = new FakeRelay();
  const failures = new PublishFailures();
  return { publication: new WriterPublication(database, publisher, relay, failures), database, publisher, relay, failures };
}

describe('WriterPublication (publish-on-commit)', () => {
  it('publishes the rows it held from memory and marks them published: no claim, no transaction of its own', async () => {
    const { publication, database, publisher, relay } = publicationOn();

    await publication.publish([outboxRecord('a'), outboxRecord('b')]);

    expect(publisher.published.map((record) => record.id)).toEqual(['a', 'b']);
    expect(database.names).toEqual(['outbox.mark-published']);
    expect(database.valuesOf(markPublished)).toEqual([[['a', 'b']]]);
    expect(database.commits).toBe(0);
    expect(relay.wakes).toBe(0);
  });

  it('leaves the rows to the relay when Kafka fails: the error noted on them, the relay woken, no more publish-on-commit', async () => {
    const { publication, database, publisher, relay, failures } = publicationOn();
    publisher.refuse = () => new Error('broker down');

    await expect(publication.publish([outboxRecord('a')])).resolves.toBeUndefined();

    expect(database.valuesOf(notePublishFailure)).toEqual([[['a'], 'broker down']]);
    expect(database.valuesOf(markPublished)).toEqual([]);
    expect(relay.wakes).toBe(1);
    expect(failures.last).toBe('broker down');
    expect(publication.mayPublish).toBe(false);

    failures.batchSucceeded(); // a relay's batch went through
    expect(publication.mayPublish).toBe(true);
  });

  it('does not reject when the mark fails: the rows are the relays’ once their hold ends', async () => {
    const database = new FakeSqlDatabase().failOn(markPublished, new Error('connection lost'));
    const { publication, relay } = publicationOn(database);

    await expect(publication.publish([outboxRecord('a')])).resolves.toBeUndefined();

    expect(relay.wakes).toBe(0);
    expect(publication.mayPublish).toBe(true);
  });

  it('allows up to 16 publications at once, and none while its relay is stopped', async () => {
    const { publication, publisher, relay } = publicationOn();
    publisher.hold();

    const publications = Array.from({ length: 16 }, (_, index) => {
      expect(publication.mayPublish).toBe(true);
      return publication.publish([outboxRecord(`row-${index}`)]);
    });
    expect(publication.mayPublish).toBe(false);

    publisher.release();
    await Promise.all(publications);
    expect(publication.mayPublish).toBe(true);

    relay.isRunning = false;
    expect(publication.mayPublish).toBe(false);
  });

  it('settled() resolves once the publications in progress have ended', async () => {
    const { publication, publisher } = publicationOn();
    publisher.hold();
    void publication.publish([outboxRecord('a')]);
    let settled = false;
    const settling = publication.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);

    publisher.release();
    await settling;
    expect(publisher.published.map((record) => record.id)).toEqual(['a']);
  });
});
