import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { benchCharts, type ChartData } from './bench-charts.js';

export const CHART_DATA_FILE = 'chart-data.json';

/** A vega-lite spec drawn as SVG, headless (no canvas: text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Keeps what the pictures are drawn from beside the report, so that they can be drawn again. */
export function writeChartData(folder: string, data: ChartData): string {
  const file = join(folder, CHART_DATA_FILE);
  writeFileSync(file, JSON.stringify(data));
  return file;
}

/** Draws the pictures of the run whose `chart-data.json` is in `folder`, into that folder; returns the files written. */
export async function drawBenchCharts(folder: string): Promise<string[]> {
  const data = JSON.parse(readFileSync(join(folder, CHART_DATA_FILE), 'utf8')) as ChartData;
  const written: string[] = [];
  for (const [name, spec] of Object.entries(benchCharts(data))) {
    const file = join(folder, name);
    writeFileSync(file, await renderSvg(spec));
    written.push(file);
  }
  return written;
}
