/** What to do with an outcome: try again soon, try again after a long pause, or give up. */
export type Handling = 'retry' | 'retry_long' | 'final';

export interface ClassificationEntry {
  /** A provider status ("-41"), one of our codes ("TIMEOUT"), or an HTTP family ("HTTP_5xx"). */
  code: string;
  meaning: string;
  handling: Handling | 'success';
  why: string;
}

/**
 * Every outcome we know and how we treat it. The provider never says which codes are worth
 * retrying; this is our reading, and `buildClassifier` lets configuration change any line
 * except success. Codes not listed here are final.
 */
// A table: one line per code.
// prettier-ignore
export const CLASSIFICATION_TABLE: readonly ClassificationEntry[] = [
  { code: '0', meaning: 'success', handling: 'success', why: 'The provider created a new task; its id is returned.' },
  entry('-1', 'Authentication error', 'final', 'Wrong key or secret: the same credentials will fail again. Fix the configuration.'),
  entry('-2', 'Restricted IP access', 'final', 'Our address is not on the account allow-list; only an operator can change that.'),
  entry('-10', 'Insufficient balance', 'final', 'The account needs a top-up; retrying only repeats the refusal.'),
  entry('-15', 'Frequent requests', 'retry', 'Rate limited: the same request succeeds after a pause.'),
  entry('-16', 'Timestamp expires', 'retry', 'Each attempt is signed with a fresh timestamp, so a retry fixes it. If it persists, check the host clock.'),
  entry('-18', 'Port program unusual', 'retry', 'A fault on the provider side, expected to be temporary.'),
  entry('-20', 'Data existing', 'final', 'The data already exists. After an attempt with an unknown outcome it most likely means that attempt succeeded: look the task up by name.'),
  entry('-21', 'Data validation exception', 'final', 'The request is invalid; sending it again gives the same answer.'),
  entry('-22', 'Parameter exception', 'final', 'A parameter is missing or malformed; sending it again gives the same answer.'),
  entry('-23', 'Data caps', 'final', 'An account limit is reached; it needs an operator.'),
  entry('-24', 'Data unexisting', 'final', 'The referenced task (keyId) does not exist.'),
  entry('-26', 'Getting fee faily', 'final', 'The provider could not price the call; treated as a permanent account problem, as the provider does not say otherwise.'),
  entry('-34', 'There is no callable number when the task was ended last time. Please start the group call task again.', 'final', 'Nothing left to call in the original task.'),
  entry('-37', 'The group call task you submitted exceeds the maximum concurrent task limit. Please complete the task before submitting again!', 'retry_long', 'Too many tasks running: a slot frees up when one finishes, which takes minutes, not seconds.'),
  entry('-38', 'Conversion text and language type are required', 'final', 'The request or template is incomplete.'),
  entry('-39', 'Failed to obtain the text language type', 'final', 'The template has no usable language.'),
  entry('-41', 'Task name already exists', 'final', 'Task names are unique. After an attempt with an unknown outcome it most likely means that attempt created the task: look the task up by name.'),
  entry('-42', 'Recall is allowed only when the task is canceled or completed', 'final', 'The original task is still running; resending now is not allowed.'),
  entry('-60', 'The AI speech template does not exist', 'final', 'Unknown scriptId; sending it again gives the same answer.'),
  entry('TIMEOUT', 'No complete answer within the client timeout', 'retry', 'Usually temporary. If we were connected, the outcome is unknown and the task may exist.'),
  entry('CONNECTION_REFUSED', 'The provider refused the connection', 'retry', 'Usually temporary (restart, failover). The request certainly did not arrive.'),
  entry('CONNECTION_RESET', 'The connection closed before an answer arrived', 'retry', 'Usually temporary. The outcome is unknown: the task may exist.'),
  entry('NETWORK', 'Any other network failure (DNS, unreachable host)', 'retry', 'Usually temporary.'),
  entry('HTTP_429', 'HTTP 429 Too Many Requests', 'retry', 'Rate limited in front of the API: the same request succeeds after a pause.'),
  entry('HTTP_5xx', 'HTTP 500-599 from the provider or a proxy in front of it', 'retry', 'A server-side fault, expected to be temporary. The outcome is unknown: the task may exist.'),
  entry('HTTP_4xx', 'Any other HTTP 400-499', 'final', 'The request itself is wrong for the server; sending it again gives the same answer.'),
  entry('HTTP_3xx', 'HTTP 300-399 (redirects are not followed)', 'final', 'The base URL is probably wrong; needs configuration.'),
  entry('BAD_RESPONSE', 'HTTP 2xx but the body is not the documented JSON', 'final', 'The API answered something we do not understand; retrying blindly could repeat a call that worked. The outcome is unknown.'),
];

function entry(code: string, meaning: string, handling: Handling, why: string): ClassificationEntry {
  return { code, meaning, handling, why };
}
