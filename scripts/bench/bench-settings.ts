/** The benchmark's settings, read once from BENCH_* variables; a bad one stops the run naming it. */
export interface BenchSettings {
  /** Backlog size of the throughput arms and of the outbox drain. */
  requests: number;
  pacedRate: number;
  pacedSeconds: number;
  /** The paced arms take turns in slices of this many seconds, so that both meet the same moments of the machine. */
  pacedSliceSeconds: number;
  /** Paced requests each contender answers, unmeasured, before its first turn. */
  pacedWarmUpSeconds: number;
  /** Extra environment for every service process, e.g. `SUBMISSION_CONCURRENCY=32`. */
  serviceEnv: Record<string, string>;
  /** Node flags for every service process, e.g. `--trace-gc` (flags NODE_OPTIONS does not take). */
  serviceNodeArgs: string[];
  /** Requests of an unmeasured first run of the naive relay that warms the broker up; 0 = none. */
  warmUpRequests: number;
  /** Partitions of every bench topic. */
  partitions: number;
  kafkaPort: number;
  /** How many partitions the naive relay handles at once (kafkajs partitionsConsumedConcurrently). */
  naiveConcurrency: number;
  /** Runs the service of the backlog arm under `node --cpu-prof` and adds where its CPU time went. */
  profile: boolean;
  /** The arms to run (BENCH_ARMS, default all); a partial run prints its results but writes no report. */
  arms: BenchArm[];
  /** A folder for one line per paced request (`<arm>.jsonl`: its moments, to see where a slow one waited); none by default. */
  latencyDumpDir: string | undefined;
}

export const BENCH_ARMS = ['backlog', 'paced', 'drain'] as const;
export type BenchArm = (typeof BENCH_ARMS)[number];

type Environment = Record<string, string | undefined>;

export function readBenchSettings(env: Environment): BenchSettings {
  return {
    requests: readInteger(env, 'BENCH_REQUESTS', 20_000, 100),
    pacedRate: readInteger(env, 'BENCH_PACED_RATE', 100, 1, 5_000),
    pacedSeconds: readInteger(env, 'BENCH_PACED_SECONDS', 20, 1, 600),
    pacedSliceSeconds: readInteger(env, 'BENCH_PACED_SLICE_SECONDS', 2, 1, 600),
    pacedWarmUpSeconds: readInteger(env, 'BENCH_PACED_WARM_UP_SECONDS', 5, 0, 600),
    serviceEnv: readAssignments(env, 'BENCH_SERVICE_ENV'),
    serviceNodeArgs: readNodeFlags(env, 'BENCH_SERVICE_NODE_ARGS'),
    warmUpRequests: readInteger(env, 'BENCH_WARM_UP_REQUESTS', 5_000, 0),
    partitions: readInteger(env, 'BENCH_PARTITIONS', 3, 1, 100),
    kafkaPort: readInteger(env, 'KAFKA_PORT', 19892, 1024, 65_000),
    naiveConcurrency: readInteger(env, 'BENCH_NAIVE_CONCURRENCY', 3, 1, 100),
    profile: readFlag(env, 'BENCH_PROFILE'),
    arms: readArms(env, 'BENCH_ARMS'),
    latencyDumpDir: env.BENCH_LATENCY_DUMP?.trim() || undefined,
  };
}

function readInteger(env: Environment, name: string, fallback: number, min: number, max = 10_000_000): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function readFlag(env: Environment, name: string): boolean {
  const text = env[name]?.trim() ?? '';
  if (!['', 'true', 'false', '1', '0'].includes(text)) throw new Error(`${name} must be true or false`);
  return text === 'true' || text === '1';
}

/** `NAME=value NAME2=value2` (spaces or commas between); values are not echoed in errors. */
export function readAssignments(env: Environment, name: string): Record<string, string> {
  const text = env[name]?.trim() ?? '';
  const assignments: Record<string, string> = {};
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(item);
    if (!match) throw new Error(`${name} must be NAME=value pairs separated by spaces or commas`);
    assignments[match[1]!] = match[2]!;
  }
  return assignments;
}

function readArms(env: Environment, name: string): BenchArm[] {
  const items = (env[name] ?? '').split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) return [...BENCH_ARMS];
  const unknown = items.filter((item) => !(BENCH_ARMS as readonly string[]).includes(item));
  if (unknown.length > 0) throw new Error(`${name} must list arms among ${BENCH_ARMS.join(', ')}`);
  return BENCH_ARMS.filter((arm) => items.includes(arm));
}

/** `--flag --other=value`, separated by spaces: only flags, so that no word can name another entry file. */
export function readNodeFlags(env: Environment, name: string): string[] {
  const flags = (env[name]?.trim() ?? '').split(/\s+/).filter(Boolean);
  if (flags.some((flag) => !/^--[a-z0-9-]+(=\S+)?$/.test(flag)))
    throw new Error(`${name} must be node flags like --trace-gc, separated by spaces`);
  return flags;
}
