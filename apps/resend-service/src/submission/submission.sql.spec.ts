import { describe, expect, it } from 'vitest';
import { claimAndMarkInFlight, claimRecordedRequests, finishRequests, finishRequestsAndReport } from './submission.sql.js';

/** What a statement sets `column` to, up to the next comma at the end of a line or the next column. */
function assignmentOf(text: string, column: string): string {
  const match = new RegExp(`${column} = ([^\\n]*)`).exec(text);
  if (!match) throw new Error(`no assignment of ${column}`);
  return match[1]!;
}

describe('the clocks of the submission statements', () => {
  // now() is the transaction's start: an intake transaction that waited on a row lock would hand out a
  // lease that is partly, or wholly, used up before anyone could see it — another worker claims the
  // request while its first call is still starting.
  it.each([
    ['claimAndMarkInFlight', claimAndMarkInFlight.text],
    ['claimRecordedRequests', claimRecordedRequests.text],
  ])('%s starts the lease at the statement’s own moment (clock_timestamp), not the transaction’s', (_name, text) => {
    expect(assignmentOf(text, 'lease_expires_at')).toMatch(/^clock_timestamp\(\) \+/);
  });

  // next_attempt_at is compared with the database's now() by the claim: set from the database's clock
  // too, from the delay the retry policy chose, never from the application host's clock.
  it.each([
    ['finishRequests', finishRequests.text],
    ['finishRequestsAndReport', finishRequestsAndReport.text],
  ])('%s sets next_attempt_at on the database’s clock, from a delay', (_name, text) => {
    expect(assignmentOf(text, 'next_attempt_at')).toMatch(/^clock_timestamp\(\) \+ make_interval\(secs => c\.retry_in_ms/);
  });
});
