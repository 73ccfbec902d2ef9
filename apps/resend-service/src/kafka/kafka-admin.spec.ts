import { Logger } from '@nestjs/common';
import type { Admin, ITopicConfig } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { KafkaAdmin } from './kafka-admin.js';

const config = loadConfig({
  ITNIOTECH_API_KEY: 'key',
  ITNIOTECH_API_SECRET: 'secret',
  KAFKA_TOPIC_PARTITIONS: '6',
  KAFKA_TOPIC_REPLICATION_FACTOR: '3',
});
const { requested, ...produced } = config.topics;

type CreateTopics = (options: { waitForLeaders?: boolean; topics: ITopicConfig[] }) => Promise<boolean>;

/** KafkaAdmin on a stand-in for kafkajs's admin client: the topics the cluster has, and what creating them does. */
function adminOf(existing: string[], createTopics: CreateTopics = () => Promise.resolve(true)) {
  const asked: Parameters<CreateTopics>[0][] = [];
  const client: Pick<Admin, 'connect' | 'listTopics' | 'createTopics'> = {
    connect: () => Promise.resolve(),
    listTopics: () => Promise.resolve(existing),
    createTopics: (options) => {
      asked.push(options);
      return createTopics(options);
    },
  };
  const admin = new KafkaAdmin(config);
  (admin as unknown as { admin: typeof client }).admin = client;
  return { admin, asked };
}

describe('KafkaAdmin.ensureTopics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('creates the missing topics at start-up, with KAFKA_TOPIC_PARTITIONS and KAFKA_TOPIC_REPLICATION_FACTOR, and waits for their leaders', async () => {
    const { admin, asked } = adminOf([requested, 'someone-elses-topic']);
    await admin.ensureTopics();
    expect(asked).toEqual([
      {
        waitForLeaders: true,
        topics: Object.values(produced).map((topic) => ({ topic, numPartitions: 6, replicationFactor: 3 })),
      },
    ]);
  });

  it('creates nothing when every topic exists', async () => {
    const { admin, asked } = adminOf(Object.values(config.topics));
    await admin.ensureTopics();
    expect(asked).toEqual([]);
  });

  it('without the CREATE permission, logs one warning and goes on, assuming the topics exist', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const denied = Object.assign(new Error('Not authorized to access topics'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    const { admin } = adminOf([], () => Promise.reject(Object.assign(new Error('retries exceeded'), { cause: denied })));
    await expect(admin.ensureTopics()).resolves.toBeUndefined();
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      `not allowed to create topics ${Object.values(config.topics).join(', ')} (TOPIC_AUTHORIZATION_FAILED); assuming they exist`,
    ]);
  });

  it('fails on any other error, for the start-up to try again', async () => {
    const { admin } = adminOf([], () => Promise.reject(new Error('Request timed out')));
    await expect(admin.ensureTopics()).rejects.toThrow('Request timed out');
  });
});
