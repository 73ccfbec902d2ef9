import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const RULES = 'docs/alerts/resend-relay.rules.yaml';
const RULE_TESTS = 'docs/alerts/resend-relay.rules.test.yaml';
/** The first run on a machine fetches Debian's prometheus package (about 5 s, more on a slow mirror). */
const RESOLVE_TIMEOUT_MS = 180_000;

interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

/** What promtool prints (stdout and stderr together: it reports failures on stderr), and its exit code. */
async function promtool(binary: string, ...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(binary, args, { cwd: repoRoot });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/**
 * The alert rules as Prometheus itself reads and evaluates them: `promtool check rules` and
 * `promtool test rules` (Debian's promtool, fetched and cached by scripts/promtool.sh).
 */
describe('docs/alerts/resend-relay.rules.yaml under promtool', () => {
  let binary: string;
  const rules = parse(readFileSync(`${repoRoot}${RULES}`, 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
  const ruleTests = parse(readFileSync(`${repoRoot}${RULE_TESTS}`, 'utf8')) as RuleTests;
  const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert)).filter((name) => name !== undefined);
  const checks = ruleTests.tests.flatMap((test) => test.alert_rule_test ?? []);

  beforeAll(async () => {
    const { stdout } = await run('bash', ['scripts/promtool.sh', '--resolve'], { cwd: repoRoot, timeout: RESOLVE_TIMEOUT_MS });
    binary = stdout.trim();
  }, RESOLVE_TIMEOUT_MS);

  it('is a valid rule file (promtool check rules), every rule found', async () => {
    const { code, output } = await promtool(binary, 'check', 'rules', RULES);
    expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(code).toBe(0);
  });

  it('fires and stays quiet as its unit tests expect (promtool test rules)', async () => {
    const { code, output } = await promtool(binary, 'test', 'rules', RULE_TESTS);
    expect(output).not.toContain('FAILED');
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('tests the rule file itself', () => {
    expect(ruleTests.rule_files).toEqual(['resend-relay.rules.yaml']);
  });

  it.each(alerts)('%s has a series that fires it and one that keeps it quiet', (alert) => {
    const ofAlert = checks.filter((check) => check.alertname === alert);
    expect(
      ofAlert.some((check) => check.exp_alerts.length > 0),
      'no test expects it to fire',
    ).toBe(true);
    expect(
      ofAlert.some((check) => check.exp_alerts.length === 0),
      'no test expects it to stay quiet',
    ).toBe(true);
  });

  it('tests no alert the rule file does not have', () => {
    expect(checks.map((check) => check.alertname).filter((name) => !alerts.includes(name))).toEqual([]);
  });
});
