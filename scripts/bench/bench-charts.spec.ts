import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { compile } from 'vega-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { benchChartData, benchCharts, latencyPoints, throughputPoints, type ChartData } from './bench-charts.js';
import { drawBenchCharts, renderSvg, writeChartData } from './chart-files.js';

const vegaLiteSchema = createRequire(import.meta.url)('vega-lite/vega-lite-schema.json') as object;

/** `count` moments evenly from `fromMs` (inclusive) to `toMs` (exclusive). */
const evenly = (count: number, fromMs: number, toMs: number) =>
  Array.from({ length: count }, (_, i) => fromMs + ((toMs - fromMs) * i) / count);

/** A small run: the naive relay at 500/s for 2 s; the service at 200/s, with a second of nothing in between. */
const RUN: ChartData = {
  run: '2026-12-07 · commit abc1234',
  backlog: { naive: evenly(1000, 0, 2000), service: [...evenly(200, 0, 1000), ...evenly(400, 2000, 4000)] },
  paced: {
    naive: Array.from({ length: 1000 }, (_, i) => i + 1),
    service: Array.from({ length: 1000 }, (_, i) => 10 * (i + 1)),
  },
};

describe('throughputPoints', () => {
  it('counts each contender’s outcomes per second from its start, a second without any as 0', () => {
    const points = throughputPoints(RUN.backlog);
    const of = (contender: string) => points.filter((point) => point.contender === contender).map((point) => point.outcomesPerSecond);
    expect(of('naive')).toEqual([500, 500]);
    expect(of('service')).toEqual([200, 0, 200, 200]);
    expect(points.filter((point) => point.contender === 'service').map((point) => point.second)).toEqual([0, 1, 2, 3]);
  });

  it('divides by the bin width, and leaves out a contender without outcomes', () => {
    expect(throughputPoints({ service: evenly(400, 0, 4000), idle: [] }, 2)).toEqual([
      { contender: 'service', second: 0, outcomesPerSecond: 100 },
      { contender: 'service', second: 2, outcomesPerSecond: 100 },
    ]);
  });
});

describe('latencyPoints', () => {
  it('takes nearest-rank percentiles of each contender, in axis order, the last as max', () => {
    const points = latencyPoints(RUN.paced).filter((point) => point.contender === 'service');
    expect(points).toEqual([
      { contender: 'service', percentile: 'p50', order: 0, latencyMs: 5000 },
      { contender: 'service', percentile: 'p90', order: 1, latencyMs: 9000 },
      { contender: 'service', percentile: 'p95', order: 2, latencyMs: 9500 },
      { contender: 'service', percentile: 'p99', order: 3, latencyMs: 9900 },
      { contender: 'service', percentile: 'p99.9', order: 4, latencyMs: 9990 },
      { contender: 'service', percentile: 'max', order: 5, latencyMs: 10000 },
    ]);
  });
});

describe('benchChartData', () => {
  it('keeps, per contender, the backlog arm’s outcome times and the paced arm’s latencies, and names the run', () => {
    const data = benchChartData(
      { date: '2026-12-07T10:00:00Z', commit: 'abc1234' },
      { naive: { outcomesAfterStartMs: [5, 9] }, service: { outcomesAfterStartMs: [7] } },
      { naive: { latenciesMs: [1] }, floor: { latenciesMs: [2] }, service: { latenciesMs: [3, 4] } },
    );
    expect(data).toEqual({
      run: '2026-12-07T10:00:00Z · commit abc1234',
      backlog: { naive: [5, 9], service: [7] },
      paced: { naive: [1], floor: [2], service: [3, 4] },
    });
  });
});

describe('benchCharts', () => {
  const charts = benchCharts(RUN);
  const validate = new Ajv({ strict: false, allErrors: true }).compile(vegaLiteSchema);

  it('makes the two pictures', () => {
    expect(Object.keys(charts)).toEqual(['throughput.svg', 'latency.svg']);
  });

  it.each(Object.entries(charts))('%s is a valid vega-lite spec that compiles to vega', (_name, spec) => {
    expect(validate(spec), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(validate({ ...spec, mark: 'lien' }), 'the schema check tells a wrong mark').toBe(false);
    expect(() => compile(spec)).not.toThrow();
  });

  it.each(Object.entries(charts))('%s draws one series per contender, colour by contender, from fields its data has', (_name, spec) => {
    const values = (spec as { data: { values: Record<string, unknown>[] } }).data.values;
    const encoding = (spec as { encoding: Record<string, { field?: string }> }).encoding;
    expect(encoding.color?.field).toBe('contender');
    expect(new Set(values.map((value) => value.contender))).toEqual(new Set(['naive', 'service']));
    for (const channel of ['x', 'y']) expect(Object.keys(values[0]!)).toContain(encoding[channel]?.field);
  });

  it('gives each contender the same colour in both pictures', () => {
    const colours = (spec: object) => {
      const { domain, range } = (spec as { encoding: { color: { scale: { domain: string[]; range: string[] } } } }).encoding.color.scale;
      return Object.fromEntries(domain.map((contender, index) => [contender, range[index]]));
    };
    const withFloor = benchCharts({ ...RUN, paced: { ...RUN.paced, floor: [1, 2] } });
    const throughput = colours(withFloor['throughput.svg']!);
    const latency = colours(withFloor['latency.svg']!);
    expect(Object.keys(latency)).toEqual(['naive', 'service', 'floor']);
    expect(latency).toMatchObject(throughput);
  });

  it('names the run in both titles', () => {
    for (const spec of Object.values(charts)) expect(JSON.stringify(spec.title)).toContain(RUN.run);
  });
});

describe('drawing (vega, headless)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'bench-charts-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('renders a spec to an SVG with the contenders in its legend', async () => {
    const svg = await renderSvg(benchCharts(RUN)['latency.svg']!);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>naive</text>');
    expect(svg).toContain('>service</text>');
    expect(svg).toContain('>p99.9</text>');
  });

  it('draws a saved run again from its chart-data.json, beside it', async () => {
    writeChartData(folder, RUN);
    const files = await drawBenchCharts(folder);
    expect(files).toEqual([join(folder, 'throughput.svg'), join(folder, 'latency.svg')]);
    expect(readFileSync(files[0]!, 'utf8')).toContain('Backlog: outcomes per second');
  });
});
