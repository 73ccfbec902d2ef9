/**
 * The benchmark's pictures as vega-lite specs, from the run's own data; pure, unit-tested in
 * bench-charts.spec.ts. Drawing them to SVG is chart-files.ts.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { BacklogResult } from './backlog-arm.js';
import type { MachineDescription } from './machine.js';
import type { PacedResult } from './paced-arm.js';
import { percentile } from './statistics.js';

/** What a run keeps for its pictures (`chart-data.json` beside its report). */
export interface ChartData {
  /** The run's date and commit, for the titles. */
  run: string;
  /** Backlog arms: per contender, each outcome's time (LogAppendTime) in ms after the contender started. */
  backlog: Record<string, number[]>;
  /** Paced arms: per contender, each measured request's latency in ms. */
  paced: Record<string, number[]>;
}

export interface ThroughputPoint {
  contender: string;
  /** Start of the bin, in seconds after the contender started. */
  second: number;
  outcomesPerSecond: number;
}

export interface LatencyPoint {
  contender: string;
  /** "p50", …, "max". */
  percentile: string;
  /** Where it goes on the axis: its place among the percentiles drawn. */
  order: number;
  latencyMs: number;
}

/** The percentiles of the latency picture; 100 is drawn as "max". */
export const LATENCY_PERCENTILES = [50, 90, 95, 99, 99.9, 100] as const;

const WIDTH = 640;
const HEIGHT = 300;
/** One colour per contender in both pictures (vega's default palette would give them by order of appearance). */
const CONTENDER_COLOURS: Record<string, string> = { naive: '#4c78a8', floor: '#54a24b', service: '#e45756' };
const OTHER_COLOUR = '#9d755d';

function colourByContender(contenders: string[]) {
  const domain = [...new Set(contenders)];
  return {
    field: 'contender',
    type: 'nominal',
    title: null,
    legend: { orient: 'top' },
    scale: { domain, range: domain.map((contender) => CONTENDER_COLOURS[contender] ?? OTHER_COLOUR) },
  } as const;
}

/**
 * Outcomes per second of each contender, in bins of `binSeconds` from its start to its last
 * outcome; a bin with none is a 0 (a stall shows as a dip, not as a line drawn across it). The
 * last bin holds what came before the end: usually less than a whole bin's worth.
 */
export function throughputPoints(outcomesAfterStartMs: Record<string, readonly number[]>, binSeconds = 1): ThroughputPoint[] {
  return Object.entries(outcomesAfterStartMs).flatMap(([contender, times]) => {
    if (times.length === 0) return [];
    const bins = new Array<number>(Math.floor(Math.max(...times) / 1000 / binSeconds) + 1).fill(0);
    for (const ms of times) bins[Math.floor(Math.max(0, ms) / 1000 / binSeconds)]! += 1;
    return bins.map((count, index) => ({ contender, second: index * binSeconds, outcomesPerSecond: count / binSeconds }));
  });
}

/** The latency percentiles of each contender (nearest rank, as the report's table). */
export function latencyPoints(latenciesMs: Record<string, readonly number[]>): LatencyPoint[] {
  return Object.entries(latenciesMs).flatMap(([contender, latencies]) =>
    latencies.length === 0
      ? []
      : LATENCY_PERCENTILES.map((p, order) => ({
          contender,
          percentile: p === 100 ? 'max' : `p${p}`,
          order,
          latencyMs: percentile(latencies, p),
        })),
  );
}

export function throughputChart(points: ThroughputPoint[], run: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Backlog: outcomes per second', subtitle: `each contender from its start · ${run}` },
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'seconds after the contender started' },
      y: { field: 'outcomesPerSecond', type: 'quantitative', title: 'outcomes per second' },
      color: colourByContender(points.map((point) => point.contender)),
    },
  };
}

export function latencyChart(points: LatencyPoint[], run: string): TopLevelSpec {
  const order = LATENCY_PERCENTILES.map((p) => (p === 100 ? 'max' : `p${p}`));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Paced: latency percentiles', subtitle: `outcome's append − request's append · ${run}` },
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: order, title: null, axis: { labelAngle: 0 } },
      y: { field: 'latencyMs', type: 'quantitative', scale: { type: 'log' }, title: 'ms (log scale)' },
      color: colourByContender(points.map((point) => point.contender)),
      tooltip: [{ field: 'contender' }, { field: 'percentile' }, { field: 'latencyMs', title: 'ms' }],
    },
  };
}

/** What the pictures of a run are drawn from, out of its results. */
export function benchChartData(
  machine: Pick<MachineDescription, 'date' | 'commit'>,
  backlog: Record<string, Pick<BacklogResult, 'outcomesAfterStartMs'>>,
  paced: Record<string, Pick<PacedResult, 'latenciesMs'>>,
): ChartData {
  return {
    run: `${machine.date} · commit ${machine.commit}`,
    backlog: Object.fromEntries(Object.entries(backlog).map(([contender, result]) => [contender, result.outcomesAfterStartMs])),
    paced: Object.fromEntries(Object.entries(paced).map(([contender, result]) => [contender, result.latenciesMs])),
  };
}

/** Both pictures of a run, by file name. */
export function benchCharts(data: ChartData): Record<string, TopLevelSpec> {
  return {
    'throughput.svg': throughputChart(throughputPoints(data.backlog), data.run),
    'latency.svg': latencyChart(latencyPoints(data.paced), data.run),
  };
}
