/**
 * The service's slow paced requests against its full garbage collections. With `--trace-gc`
 * among BENCH_SERVICE_NODE_ARGS, the paced arm counts the clusters of slow requests that had a
 * mark-compact next to them: at the image's heap limit, most of them (docs/performance.md).
 */

/** A paced request: when the broker appended it (epoch ms) and how long its outcome took. */
export interface TimedRequest {
  appendedAt: number;
  latencyMs: number;
}

/** Slow requests close together in time: one stall of the process usually delays several. */
export interface SlowCluster {
  from: number;
  to: number;
  requests: number;
  maxLatencyMs: number;
}

export interface SlowClusterSummary {
  slowRequests: number;
  clusters: number;
  /** Clusters with a mark-compact that began from `before` ms ahead of their first request to `after` ms past their last. */
  nearFullCollection: number;
  /** Mark-compacts between the first and the last paced request. */
  fullCollections: number;
}

/** Starts of the mark-compacts in a `--trace-gc` log, in ms after the process started (V8's clock). */
export function fullCollectionTimes(log: string): number[] {
  return [...log.matchAll(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact /gm)].map((match) => Number(match[1]));
}

/** Requests of at least `slowMs`, grouped while less than `gapMs` apart. */
export function slowClusters(requests: TimedRequest[], slowMs: number, gapMs: number): SlowCluster[] {
  const slow = requests.filter((request) => request.latencyMs >= slowMs).sort((a, b) => a.appendedAt - b.appendedAt);
  const clusters: SlowCluster[] = [];
  for (const { appendedAt, latencyMs } of slow) {
    const last = clusters.at(-1);
    if (last && appendedAt - last.to < gapMs) {
      last.to = appendedAt;
      last.requests++;
      last.maxLatencyMs = Math.max(last.maxLatencyMs, latencyMs);
    } else {
      clusters.push({ from: appendedAt, to: appendedAt, requests: 1, maxLatencyMs: latencyMs });
    }
  }
  return clusters;
}

/**
 * `collectionsAt` are epoch ms. The window reaches further back than forward: a collection
 * delays the requests that arrive during it and shortly after it.
 */
export function summariseSlowClusters(
  requests: TimedRequest[],
  collectionsAt: number[],
  { slowMs = 20, gapMs = 100, before = 150, after = 50 } = {},
): SlowClusterSummary {
  const clusters = slowClusters(requests, slowMs, gapMs);
  const appended = requests.map((request) => request.appendedAt);
  const [first, last] = [Math.min(...appended), Math.max(...appended)];
  return {
    slowRequests: clusters.reduce((sum, cluster) => sum + cluster.requests, 0),
    clusters: clusters.length,
    nearFullCollection: clusters.filter((cluster) => collectionsAt.some((at) => at >= cluster.from - before && at <= cluster.to + after))
      .length,
    fullCollections: collectionsAt.filter((at) => at >= first && at <= last).length,
  };
}
