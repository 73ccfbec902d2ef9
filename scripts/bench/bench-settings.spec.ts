import { describe, expect, it } from 'vitest';
import { readBenchSettings } from './bench-settings.js';

describe('readBenchSettings', () => {
  it('has the documented defaults', () => {
    expect(readBenchSettings({})).toEqual({
      requests: 20_000,
      pacedRate: 100,
      pacedSeconds: 20,
      pacedSliceSeconds: 2,
      pacedWarmUpSeconds: 5,
      serviceEnv: {},
      serviceNodeArgs: [],
      warmUpRequests: 5_000,
      partitions: 3,
      kafkaPort: 19892,
      naiveConcurrency: 3,
      profile: false,
      arms: ['backlog', 'paced', 'drain'],
      latencyDumpDir: undefined,
    });
  });

  it('reads BENCH_ARMS as a subset of the arms, kept in their running order', () => {
    expect(readBenchSettings({ BENCH_ARMS: 'drain,paced' }).arms).toEqual(['paced', 'drain']);
    expect(() => readBenchSettings({ BENCH_ARMS: 'paced,fast' })).toThrow(/^BENCH_ARMS must list arms among backlog, paced, drain/);
  });

  it('reads BENCH_SERVICE_ENV as NAME=value pairs separated by spaces or commas', () => {
    const settings = readBenchSettings({ BENCH_SERVICE_ENV: 'SUBMISSION_CONCURRENCY=32, OUTBOX_BATCH_SIZE=1000' });
    expect(settings.serviceEnv).toEqual({ SUBMISSION_CONCURRENCY: '32', OUTBOX_BATCH_SIZE: '1000' });
  });

  it('reads BENCH_SERVICE_NODE_ARGS as node flags, and nothing else', () => {
    expect(readBenchSettings({}).serviceNodeArgs).toEqual([]);
    expect(readBenchSettings({ BENCH_SERVICE_NODE_ARGS: ' --trace-gc  --max-semi-space-size=32 ' }).serviceNodeArgs).toEqual([
      '--trace-gc',
      '--max-semi-space-size=32',
    ]);
    expect(() => readBenchSettings({ BENCH_SERVICE_NODE_ARGS: '--trace-gc other.js' })).toThrow(
      /^BENCH_SERVICE_NODE_ARGS must be node flags/,
    );
  });

  it('names the bad variable without echoing its value', () => {
    expect(() => readBenchSettings({ BENCH_REQUESTS: '12abc' })).toThrow(/^BENCH_REQUESTS must be an integer/);
    expect(() => readBenchSettings({ BENCH_REQUESTS: '12abc' })).not.toThrow(/12abc/);
    expect(() => readBenchSettings({ BENCH_SERVICE_ENV: 'secret-value' })).toThrow(/^BENCH_SERVICE_ENV must be/);
    expect(() => readBenchSettings({ BENCH_SERVICE_ENV: 'secret-value' })).not.toThrow(/secret-value/);
  });
});
