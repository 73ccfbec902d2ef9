/** Words of PromQL that are not metric names. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric names a PromQL expression reads (of the alert rules, of the dashboard's panels):
 * what is left once strings, label matchers, ranges (Grafana's `$__rate_interval` too), grouping
 * clauses, numbers and durations, function calls and keywords are taken out.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b\d+(\.\d+)?([smhdwy]|ms)?\b/g, ' ')
    .replace(/[A-Za-z_][A-Za-z0-9_]*\s*\(/g, '(');
  const names = [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((match) => match[0]);
  return [...new Set(names.filter((name) => !KEYWORDS.has(name)))];
}

/**
 * The label names an expression selects on or groups by, per metric: `name{label="…"}` matchers
 * and the `by (…)` of an aggregation over one metric. Only the simple shapes the dashboard uses;
 * a grouping over an expression of several metrics is left out.
 */
export function labelsByMetric(expr: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  const add = (metric: string, names: Iterable<string>) => {
    const set = labels.get(metric) ?? new Set<string>();
    for (const name of names) set.add(name);
    labels.set(metric, set);
  };
  const unquoted = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  for (const [, metric, matchers] of unquoted.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)) {
    add(
      metric!,
      [...matchers!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1]!),
    );
  }
  // `sum by (a, b) (rate(metric{…}[…]))`: the grouping applies to the one metric inside.
  for (const [, grouping, inner] of unquoted.matchAll(/\bby\s*\(([^)]*)\)\s*\(([^()]*\([^()]*\)[^()]*|[^()]*)\)/g)) {
    const metrics = metricNames(inner!);
    if (metrics.length !== 1) continue;
    add(
      metrics[0]!,
      grouping!
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    );
  }
  return labels;
}
