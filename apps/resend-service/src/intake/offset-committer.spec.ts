import type { TopicPartitionOffset } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OffsetCommitter } from './offset-committer.js';

/** Stands in for the kafkajs consumer: records each commit; `failNext` makes the next one reject. */
class CommitLog {
  readonly commits: TopicPartitionOffset[][] = [];
  failNext = false;

  commitOffsets = (offsets: TopicPartitionOffset[]): Promise<void> => {
    this.commits.push(offsets);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('The coordinator is not available'));
    }
    return Promise.resolve();
  };
}

describe('OffsetCommitter', () => {
  afterEach(() => vi.useRealTimers());

  it('commits the offset after the last recorded message of each partition, once', async () => {
    const consumer = new CommitLog();
    const committer = new OffsetCommitter(consumer, 1_000);
    committer.recorded('requested', 0, '4');
    committer.recorded('requested', 0, '9');
    committer.recorded('requested', 2, '0');

    await committer.commit();
    await committer.commit();

    expect(consumer.commits).toEqual([
      [
        { topic: 'requested', partition: 0, offset: '10' },
        { topic: 'requested', partition: 2, offset: '1' },
      ],
    ]);
  });

  it('commits on its interval, and what is left when stopped', async () => {
    vi.useFakeTimers();
    const consumer = new CommitLog();
    const committer = new OffsetCommitter(consumer, 1_000);
    committer.start();
    committer.recorded('requested', 1, '41');

    await vi.advanceTimersByTimeAsync(999);
    expect(consumer.commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(consumer.commits).toEqual([[{ topic: 'requested', partition: 1, offset: '42' }]]);

    committer.recorded('requested', 1, '42');
    await committer.stop();
    expect(consumer.commits.at(-1)).toEqual([{ topic: 'requested', partition: 1, offset: '43' }]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(consumer.commits).toHaveLength(2);
  });

  it('keeps the offsets of a failed commit for the next one, unless the partition moved on meanwhile', async () => {
    const consumer = new CommitLog();
    const committer = new OffsetCommitter(consumer, 1_000);
    committer.recorded('requested', 0, '9');
    committer.recorded('requested', 1, '19');
    consumer.failNext = true;
    const failing = committer.commit();
    committer.recorded('requested', 1, '29');
    await failing;

    await committer.commit();

    expect(consumer.commits.at(-1)).toEqual([
      { topic: 'requested', partition: 1, offset: '30' },
      { topic: 'requested', partition: 0, offset: '10' },
    ]);
  });

  it('drops the offsets of partitions the group assigned elsewhere', async () => {
    const consumer = new CommitLog();
    const committer = new OffsetCommitter(consumer, 1_000);
    committer.recorded('requested', 0, '9');
    committer.recorded('requested', 1, '19');

    committer.keepOnly({ requested: [1, 2] });
    await committer.commit();

    expect(consumer.commits).toEqual([[{ topic: 'requested', partition: 1, offset: '20' }]]);
  });

  it('does not start a second commit while one is under way', async () => {
    let finish: () => void = () => undefined;
    const commits: TopicPartitionOffset[][] = [];
    const consumer = {
      commitOffsets: (offsets: TopicPartitionOffset[]) => {
        commits.push(offsets);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const committer = new OffsetCommitter(consumer, 1_000);
    committer.recorded('requested', 0, '1');
    const first = committer.commit();
    committer.recorded('requested', 0, '2');

    expect(committer.commit()).toBe(first);
    expect(commits).toHaveLength(1);
    finish();
    await first;
    void committer.commit();
    expect(commits).toEqual([[{ topic: 'requested', partition: 0, offset: '2' }], [{ topic: 'requested', partition: 0, offset: '3' }]]);
  });
});
