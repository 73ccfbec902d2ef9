import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labelsByMetric, metricNames } from './promql-metric-names.js';

const rulesFile = new URL('../../../../docs/alerts/resend-relay.rules.yaml', import.meta.url);

/** The metrics of GET /metrics the alert rules may use (names and labels as the service exports them). */
const METRICS = [
  'resend_relay_outbox_oldest_unpublished_age_seconds',
  'resend_relay_consumer_lag',
  'resend_relay_dead_letters_total',
  'resend_relay_outcomes_total',
  'resend_relay_stage_stalled',
];

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

describe('docs/alerts/resend-relay.rules.yaml', () => {
  const document = parse(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = document.groups.flatMap((group) => group.rules);

  it('has the alerts the runbook promises', () => {
    const exprs = rules.map((rule) => rule.expr ?? '').join('\n');
    for (const metric of METRICS) expect(exprs, `no rule reads ${metric}`).toContain(metric);
    expect(exprs).toMatch(/category="retries_exhausted"/);
  });

  it.each(rules.map((rule) => [rule.alert ?? '(no alert name)', rule] as const))('%s is complete', (_name, rule) => {
    expect(rule.alert).toMatch(/^ResendRelay[A-Za-z]+$/);
    expect(rule.expr).toEqual(expect.any(String));
    expect(rule.for).toMatch(/^\d+[smh]$/);
    expect(['info', 'warning', 'critical']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toEqual(expect.any(String));
  });

  it.each(rules.map((rule) => [rule.alert, rule.expr ?? ''] as const))('%s reads only metrics the service exports', (_name, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !METRICS.includes(name))).toEqual([]);
  });

  it('tells a metric name from functions, labels and keywords', () => {
    expect(metricNames('sum by (topic) (increase(foo_total{category="x y",a=~"b"}[5m])) > 0 and on (topic) bar_seconds offset 5m')).toEqual(
      ['foo_total', 'bar_seconds'],
    );
    expect(metricNames('histogram_quantile(0.99, sum by (le, kind) (rate(x_bucket{instance=~"$instance"}[$__rate_interval])))')).toEqual([
      'x_bucket',
    ]);
  });

  it('tells the labels an expression selects on and groups by, per metric', () => {
    const labels = labelsByMetric(
      'histogram_quantile(0.9, sum by (le, kind) (rate(x_bucket{instance=~"$i", kind!="a"}[5m]))) / max by (topic) (y{a="b,c=d"})',
    );
    expect(Object.fromEntries([...labels].map(([metric, names]) => [metric, [...names].sort()]))).toEqual({
      x_bucket: ['instance', 'kind', 'le'],
      y: ['a', 'topic'],
    });
  });
});
