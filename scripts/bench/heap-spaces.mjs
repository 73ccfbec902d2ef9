// A diagnostic for the benchmark, not part of it: preloaded into the service
// (BENCH_SERVICE_NODE_ARGS=--import=./scripts/bench/heap-spaces.mjs), it writes the used size of
// each V8 heap space every 250 ms to .run/bench/logs/heap-spaces.log, to see which space grows
// between full collections and how fast (docs/performance.md, "RSS and the heap limit").
import fs from 'node:fs';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';

const log = fs.openSync('.run/bench/logs/heap-spaces.log', 'w');
const startedAt = Date.now();
setInterval(() => {
  const spaces = v8.getHeapSpaceStatistics().map((space) => `${space.space_name}=${(space.space_used_size / 1e6).toFixed(2)}`);
  fs.writeSync(log, `${Date.now() - startedAt} ${spaces.join(' ')}\n`);
}, 250).unref();
