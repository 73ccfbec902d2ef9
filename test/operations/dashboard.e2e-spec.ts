import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsByMetric, metricNames } from '../../apps/resend-service/src/alerting/promql-metric-names.js';
import { IsolatedDatabase } from '../support/database.js';
import { e2e } from '../support/e2e-context.js';
import { startFlow, type FlowFixture } from '../support/flow-fixture.js';
import { MetricsScrape } from '../support/prometheus-text.js';
import { scenarioTopic } from '../support/scenario-kit.js';

const DASHBOARD = new URL('../../docs/dashboards/resend-relay.json', import.meta.url);
/** Labels Prometheus adds to every series it scrapes; the service does not export them. */
const TARGET_LABELS = new Set(['instance', 'job']);

interface Panel {
  title?: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query?: string } }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title ?? '', expr: target.expr ?? '' })));
/** `label_values(metric, label)` of the query variables: the metric must exist too. */
const variableMetrics = dashboard.templating.list
  .filter((variable) => variable.type === 'query')
  .map((variable) => (typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '')))
  .map((query) => /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(query)?.[1] ?? `(unreadable: ${query})`);

/**
 * Every metric the Grafana dashboard (docs/dashboards/resend-relay.json) queries is one the running
 * service exports, with the labels the panel selects on and groups by. Grafana itself does not run
 * here; the service does, against real Kafka and PostgreSQL, with a provider rate limit so that the
 * shared rate's gauge exists. Series names are compared as the scrape has them: a histogram is
 * queried through its `_bucket`, `_sum` and `_count` series, never by its base name.
 */
describe('the Grafana dashboard queries only what the service exports', () => {
  let flow: FlowFixture;
  let database: IsolatedDatabase;
  let scrape: MetricsScrape;

  beforeAll(async () => {
    const scenario = await scenarioTopic(e2e.kafkaBrokers, 'dashboard');
    database = await IsolatedDatabase.create('dashboard');
    flow = await startFlow({ service: { ...scenario.env, ...database.settings, ITNIOTECH_MAX_CALLS_PER_SECOND: '50' } });
    scrape = await MetricsScrape.of(flow.service.url);
  });

  afterAll(async () => {
    await flow?.close();
    await database?.drop();
  });

  it('has panels for what an operator watches, each with a query, on the ${datasource} variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(41);
    expect(dashboard.templating.list.find((variable) => variable.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    const queried = new Set(queries.flatMap(({ expr }) => metricNames(expr)));
    for (const metric of [
      'resend_relay_outcomes_total',
      'resend_relay_provider_calls_total',
      'resend_relay_provider_call_duration_seconds_bucket',
      'resend_relay_provider_throttled_total',
      'resend_relay_provider_call_rate',
      'resend_relay_outbox_backlog',
      'resend_relay_outbox_oldest_unpublished_age_seconds',
      'resend_relay_consumer_lag',
      'resend_relay_dead_letters_total',
      'resend_relay_retries_scheduled_total',
    ]) {
      expect(queried, metric).toContain(metric);
    }
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
    }
  });

  it.each(queries.map(({ panel, expr }) => [panel, expr] as const))('%s: %s', (_panel, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !scrape.names().has(name))).toEqual([]);
    for (const [metric, labels] of labelsByMetric(expr)) {
      const exported = new Set(scrape.all(metric).flatMap((series) => Object.keys(series.labels)));
      expect(
        [...labels].filter((label) => !TARGET_LABELS.has(label) && !exported.has(label)),
        `labels of ${metric} the service does not export`,
      ).toEqual([]);
    }
  });

  it('lists instances from a metric the service exports', () => {
    expect(variableMetrics.length).toBeGreaterThan(0);
    expect(variableMetrics.filter((name) => !scrape.names().has(name))).toEqual([]);
  });
});
