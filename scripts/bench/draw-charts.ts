/**
 * `npm run bench:charts [-- FOLDER]`: draws a run's pictures again from the `chart-data.json` it
 * kept beside its report (default `.run/bench`, the last run's), e.g. after changing a chart.
 */
import { say } from './bench-log.js';
import { drawBenchCharts } from './chart-files.js';

const folder = process.argv[2] ?? '.run/bench';
for (const file of await drawBenchCharts(folder)) say(`drawn: ${file}`);
