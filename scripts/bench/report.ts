import type { BacklogResult } from './backlog-arm.js';
import { EARLY_RSS_AFTER } from './backlog-arm.js';
import type { DrainResult } from './drain-arm.js';
import type { MachineDescription } from './machine.js';
import type { PacedResult } from './paced-arm.js';
import { formatNumber, formatRatio, joinNumbers, markdownTable } from './result-table.js';
import type { BenchSettings } from './bench-settings.js';

export interface BenchResults {
  machine: MachineDescription;
  postgresVersion: string;
  kafkaVersion: string;
  loadAtEnd: number;
  settings: BenchSettings;
  /** The NODE_OPTIONS every service process ran with (the image's). */
  serviceNodeOptions: string;
  backlog: { naive: BacklogResult; service: BacklogResult };
  paced: { naive: PacedResult; floor: PacedResult; service: PacedResult };
  drain: DrainResult;
}

const MB = 2 ** 20;
const count = (value: number) => formatNumber(value);

/** The whole result as markdown, ready to paste into docs/performance.md. */
export function renderReport(results: BenchResults): string {
  const { machine, settings, backlog, paced, drain } = results;
  const { naive, service } = backlog;
  const n = count(settings.requests);
  const serviceEnv =
    Object.entries(settings.serviceEnv)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ') || 'service defaults';
  const serviceNode = [`NODE_OPTIONS=${results.serviceNodeOptions} (the image's)`, ...settings.serviceNodeArgs].join(' ');
  const table = markdownTable(
    ['', 'naive relay', 'resend-service', 'service / naive'],
    [
      [
        `backlog of ${n}: requests/s`,
        naive.requestsPerSecond,
        service.requestsPerSecond,
        formatRatio(service.requestsPerSecond, naive.requestsPerSecond),
      ],
      ['first outcome after start, s', naive.firstOutcomeAfterMs / 1000, service.firstOutcomeAfterMs / 1000, undefined],
      ['stages: recorded / finished / published per s', undefined, stages(service), undefined],
      ['statements per request', 0, service.statementsPerRequest, undefined],
      ['CPU ms per request', naive.cpuMsPerRequest, service.cpuMsPerRequest, formatRatio(service.cpuMsPerRequest, naive.cpuMsPerRequest)],
      [`RSS MB after ${count(EARLY_RSS_AFTER)} / after ${n} (ratio)`, rss(naive), rss(service), undefined],
      [
        `paced ${settings.pacedRate}/s × ${settings.pacedSeconds} s: p50 / p95 / p99 ms`,
        latencies(paced.naive),
        latencies(paced.service),
        formatRatio(paced.service.p99, paced.naive.p99) && `p99 ${formatRatio(paced.service.p99, paced.naive.p99)}`,
      ],
      ['paced: max ms', paced.naive.max, paced.service.max, undefined],
      ['paced: median ms of intake / claim / call and result / relay', undefined, latencyStages(paced.service), undefined],
      ['paced: statements per request', 0, paced.service.statementsPerRequest, undefined],
      [
        'paced: CPU ms per request',
        paced.naive.cpuMsPerRequest,
        paced.service.cpuMsPerRequest,
        formatRatio(paced.service.cpuMsPerRequest, paced.naive.cpuMsPerRequest),
      ],
      [`paced: CPUs of ${machine.cpus} the machine kept busy (stolen)`, machineBusy(paced.naive), machineBusy(paced.service), undefined],
      [
        'paced: CPU ms per request of the broker / PostgreSQL',
        joinNumbers([paced.naive.brokerCpuMsPerRequest, paced.naive.postgresCpuMsPerRequest]),
        joinNumbers([paced.service.brokerCpuMsPerRequest, paced.service.postgresCpuMsPerRequest]),
        undefined,
      ],
      [`outbox drain of ${count(drain.events)} rows: events/s`, undefined, drain.eventsPerSecond, undefined],
      [
        'failed outcomes (backlog / paced)',
        `${naive.failedOutcomes} / ${paced.naive.failedOutcomes}`,
        `${service.failedOutcomes} / ${paced.service.failedOutcomes}`,
        undefined,
      ],
    ],
  );
  const machineLine =
    `${machine.date} · ${machine.cpus} CPUs (${machine.cpuModel}, ${formatNumber(machine.cpuMHz)} MHz) · ${formatNumber(machine.memoryGiB)} GiB · ` +
    `PostgreSQL ${results.postgresVersion} (settings as installed + pg_stat_statements) · Kafka ${results.kafkaVersion} (1 broker) · ` +
    `Node ${machine.node} · commit ${machine.commit} · load average ${formatNumber(machine.loadAtStart)} at start, ` +
    `${formatNumber(results.loadAtEnd)} at end`;
  const setup =
    `${n} requests on ${settings.partitions} partitions; service: ${serviceEnv}, ${serviceNode}; naive relay: ` +
    `partitionsConsumedConcurrently ${settings.naiveConcurrency}; paced arms taking turns every ${settings.pacedSliceSeconds} s after ${settings.pacedWarmUpSeconds} s of warm-up each; latencies from LogAppendTime.`;
  return [
    `### Benchmark run ${machine.date}`,
    '',
    machineLine,
    '',
    setup,
    '',
    table,
    '',
    `The paced arm with the durable floor (scripts/bench/durable-floor-relay.ts: the naive relay plus the two commits the guarantees require — the request before the call, the outcome with the state it reports — and the mark after publishing), taking turns with the other two:`,
    '',
    pacedTable(paced, machine.cpus),
    '',
    '<details><summary>Service statements per request, by statement (pg_stat_statements)</summary>',
    '',
    markdownTable(
      ['calls per request', 'statement'],
      (service.statementBreakdown ?? []).slice(0, 20).map(([query, perRequest]) => [perRequest, oneLine(query)]),
    ),
    '',
    '</details>',
    '',
    ...profileSection(service),
  ].join('\n');
}

/** The three paced contenders side by side: how much of the service's distance from the naive relay the guarantees alone explain. */
function pacedTable(paced: BenchResults['paced'], cpus: number): string {
  const { naive, floor, service } = paced;
  const againstNaive = (result: PacedResult) => formatRatio(result.p99, naive.p99);
  return markdownTable(
    ['paced', 'naive relay', 'durable floor', 'resend-service'],
    [
      ['p50 / p95 / p99 ms', latencies(naive), latencies(floor), latencies(service)],
      ["p99 / the naive relay's", undefined, againstNaive(floor), againstNaive(service)],
      ["p99 / the durable floor's", undefined, undefined, formatRatio(service.p99, floor.p99)],
      ['max ms', naive.max, floor.max, service.max],
      ['CPU ms per request', naive.cpuMsPerRequest, floor.cpuMsPerRequest, service.cpuMsPerRequest],
      [`CPUs of ${cpus} the machine kept busy (stolen)`, machineBusy(naive), machineBusy(floor), machineBusy(service)],
      [
        'CPU ms per request of the broker / PostgreSQL',
        joinNumbers([naive.brokerCpuMsPerRequest, naive.postgresCpuMsPerRequest]),
        joinNumbers([floor.brokerCpuMsPerRequest, floor.postgresCpuMsPerRequest]),
        joinNumbers([service.brokerCpuMsPerRequest, service.postgresCpuMsPerRequest]),
      ],
    ],
  );
}

function stages(result: BacklogResult): string | undefined {
  return result.stages && joinNumbers([result.stages.recorded, result.stages.finished, result.stages.published]);
}

function rss(result: BacklogResult): string {
  const ratio = formatRatio(result.rssFinalBytes, result.rssEarlyBytes);
  return `${joinNumbers([result.rssEarlyBytes / MB, result.rssFinalBytes / MB])} (${ratio})`;
}

function latencies(result: PacedResult): string {
  return joinNumbers([result.p50, result.p95, result.p99]);
}

/** Everything running, the contender and the arm's own producer included. */
function machineBusy(result: PacedResult): string {
  return `${formatNumber(result.machineBusyCores)} (${formatNumber(result.machineStealCores)})`;
}

function oneLine(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  return `\`${text.length > 140 ? `${text.slice(0, 140)}…` : text}\``;
}

/** With BENCH_PROFILE: the service's busy CPU time by owner (the profiler itself slows the run). */
function profileSection(result: BacklogResult): string[] {
  if (!result.profile) return [];
  return [
    'Service CPU profile of the backlog arm (`node --cpu-prof`; time in Node internals and native code counts for the code that called it; idle left out):',
    '',
    markdownTable(
      ['owner', 'CPU s', 'share of busy time'],
      result.profile.slice(0, 15).map((share) => [share.owner, share.ms / 1000, `${(share.share * 100).toFixed(1)} %`]),
    ),
    '',
  ];
}

/** The service's stage medians (from its database's timestamps), or a dash for a run without them. */
function latencyStages(result: PacedResult): string {
  const stages = result.stages;
  if (!stages) return '—';
  return [stages.intake, stages.claim, stages.callAndResult, stages.relay].map((ms) => formatNumber(ms)).join(' / ');
}
