import request from 'supertest';

/** One scrape of `GET /metrics`, parsed: series (name plus sorted labels) → value. */
export class MetricsScrape {
  private constructor(private readonly series: Map<string, number>) {}

  static async of(serviceUrl: string): Promise<MetricsScrape> {
    const response = await request(serviceUrl).get('/metrics').expect(200);
    if (!String(response.headers['content-type']).startsWith('text/plain')) {
      throw new Error(`/metrics answered ${response.headers['content-type']}`);
    }
    return new MetricsScrape(parsePrometheusText(response.text));
  }

  /** The value of one series, e.g. `value('resend_relay_outcomes_total', { topic, category })`; undefined when absent. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.series.get(seriesKey(name, labels));
  }

  /** Every series of a metric, with its labels. */
  all(name: string): { labels: Record<string, string>; value: number }[] {
    return [...this.series]
      .filter(([key]) => key === name || key.startsWith(`${name}{`))
      .map(([key, value]) => ({ labels: parseLabels(key.slice(name.length)), value }));
  }

  names(): Set<string> {
    return new Set([...this.series.keys()].map((key) => key.replace(/\{.*$/, '')));
  }
}

function parsePrometheusText(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/);
    if (!match) throw new Error(`unreadable metrics line: ${line}`);
    series.set(seriesKey(match[1]!, parseLabels(match[2] ?? '')), Number(match[3]));
  }
  return series;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
  return labels;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
