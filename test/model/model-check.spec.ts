import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Runs spin on the protocol model (test/model/resend-protocol.pml) through scripts/model-check.sh:
 * the model must hold every property, and every bug variant must produce a counterexample of the
 * property it breaks. See docs/guarantees.md ("The model").
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const TEN_MINUTES = 600_000;

interface CheckResult {
  exitCode: number;
  result: string;
  errors: number;
  states: number;
  line: string;
}

async function modelCheck(check: string): Promise<CheckResult> {
  const { stdout, exitCode } = await run('bash', ['scripts/model-check.sh', check], {
    cwd: root,
    timeout: TEN_MINUTES,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ stdout, exitCode: 0 }),
    (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', exitCode: error.code ?? 1 }),
  );
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(`${check}: expected`));
  if (!line) throw new Error(`no result line for ${check} in:\n${stdout}`);
  const match = /-> (\S+) \(errors: (\d+), states: ([\d.e+]+),/.exec(line);
  if (!match) throw new Error(`unreadable result line: ${line}`);
  return { exitCode, result: match[1]!, errors: Number(match[2]), states: Number(match[3]), line };
}

const holding = [
  'safety', // two keyIds, four requests (a repeat, a conflicting payload), one fault anywhere
  'liveness', // the same: every request ends with its outcome published (no fair acceptance cycle)
  'one-key-safety', // one keyId, three requests, two faults
  'one-key-liveness', // the same, liveness
  'stale-call-with-name-guard', // a lease may expire before the call: the provider's -41 keeps one task
  'late-call-with-settle-delay', // the provider may process a call after the client gave up: the settle delay keeps one task
];

const violated: Array<{ check: string; property: string }> = [
  // Without the timing assumption (lease > claim-to-call time) and without the provider's name
  // guard, a stalled worker's call makes a second task: the model shows what the guard is for.
  { check: 'stale-call-without-name-guard', property: 'ONE_TASK_PER_KEY' },
  // Bug 1: no lookup before calling again after an unknown outcome.
  { check: 'bug-no-lookup', property: 'LOOKUP_BEFORE_NEW_CALL' },
  { check: 'bug-no-lookup-two-tasks', property: 'ONE_TASK_PER_KEY' },
  // Bug 2: finishRequests without lease fencing.
  { check: 'bug-no-fencing', property: 'ONE_FINAL_STATE' },
  // Bug 3: answerRepeats in the fenced UPDATE's statement snapshot.
  { check: 'bug-snapshot', property: 'DUPLICATES_ANSWERED' },
  { check: 'bug-snapshot-no-outcome', property: 'EVERY_REQUEST_ENDS' },
  // Bug 4: a repeat recorded without flagging its original (has_repeats): the original ends without answering it.
  { check: 'bug-no-repeat-flag', property: 'DUPLICATES_ANSWERED' },
  // Bug 5: intake claims a new request for its worker without the in-flight mark: after a crash, a second call without a lookup.
  { check: 'bug-claim-at-intake-no-mark', property: 'LOOKUP_BEFORE_NEW_CALL' },
  // Bug 6: publish-on-commit publishes every event it built, also one whose request's lease was lost (not written).
  { check: 'bug-publish-unwritten', property: 'NO_OUTCOME_FOR_ROLLED_BACK_STATE' },
  // Bug 7: -41 after a lookup that found nothing read as "ours" only when a committed finish recorded an
  // unknown outcome: after a lost lease mid-call (the claim saw the in-flight mark) the request fails although its task exists.
  { check: 'bug-unknown-from-committed-finish', property: 'NO_FAILURE_WITH_TASK' },
  // Bug 8: two processes claim with the same lease owner (one INSTANCE_ID, a claim counter each): a stalled
  // worker passes the new owner's fence, clears its in-flight mark, and the next claim calls without a lookup.
  { check: 'bug-shared-lease-owner', property: 'ONE_TASK_PER_KEY' },
  // Bug 11: a lookup that finds nothing is believed at once, while the provider may still process the call
  // the client gave up on: the new call and the late one make two tasks.
  { check: 'bug-no-settle-delay', property: 'ONE_TASK_PER_KEY' },
  // Bug 9: a result group writes the event of every call of a request it changed: a stale call (its lease ran
  // out while its result waited) grouped with the call that holds the lease now writes a second event.
  { check: 'bug-event-per-request', property: 'ONE_OUTCOME_PER_REQUEST' },
  // Bug 10: the relay claims any unpublished row, also one an earlier unpublished row of its key must precede:
  // a repeat answered at once is published before its original's completed event.
  { check: 'bug-no-key-order', property: 'EVENTS_IN_KEY_ORDER' },
];

describe('protocol model (spin)', () => {
  // Once, before the checks run side by side: each would otherwise install a missing spin at once.
  beforeAll(() => run('bash', ['scripts/model-check.sh', '--install'], { cwd: root, timeout: TEN_MINUTES }), TEN_MINUTES);

  it('runs every check the script runs in CI', async () => {
    const { stdout } = await run('bash', ['scripts/model-check.sh', '--list'], { cwd: root });
    const ciChecks = stdout
      .trim()
      .split('\n')
      .filter((name) => name !== 'large-bitstate');
    expect(ciChecks.sort()).toEqual([...holding, ...violated.map(({ check }) => check)].sort());
  });

  // Side by side: each check is a process of its own (niced by the script, so the end-to-end
  // tests running beside them keep their CPU, but for the two liveness searches, the longest
  // tasks of the run), and the run ends with the longest, not their sum.
  it.concurrent.each(holding)('%s: the model holds every property, exhaustively', { timeout: TEN_MINUTES }, async (check) => {
    const outcome = await modelCheck(check);
    expect(outcome, outcome.line).toMatchObject({ result: 'holds', errors: 0, exitCode: 0 });
    expect(outcome.states).toBeGreaterThan(100_000); // the search really explored the configuration
  });

  it.concurrent.each(violated)(
    '$check: spin finds a counterexample of $property',
    { timeout: TEN_MINUTES },
    async ({ check, property }) => {
      const outcome = await modelCheck(check);
      expect(outcome, outcome.line).toMatchObject({ result: property, exitCode: 0 });
      expect(outcome.errors).toBeGreaterThanOrEqual(1);
    },
  );
});
