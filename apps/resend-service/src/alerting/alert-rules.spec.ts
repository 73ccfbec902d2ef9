import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const rulesFile = new URL('../../../../docs/alerts/resend-relay.rules.yaml', import.meta.url);

/** The metrics of GET /metrics the alert rules may use (names and labels as the service exports them). */
const METRICS = [
  'resend_relay_outbox_oldest_unpublished_age_seconds',
  'resend_relay_consumer_lag',
  'resend_relay_dead_letters_total',
  'resend_relay_outcomes_total',
];

/** Words of PromQL that are not metric names. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric names an expression reads: what is left once strings, label matchers, ranges,
 * grouping clauses, numbers and durations, function calls and keywords are taken out.
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
  });
});
