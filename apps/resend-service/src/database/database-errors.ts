/**
 * What a failed database call means for the caller, from its SQLSTATE class:
 * - outage:   the server cannot be reached, is going away, ran out of resources or cancelled the
 *             statement (08, 57, 53, 58; socket errors; a client-side query timeout); wait and try again
 * - conflict: a concurrent transaction got in the way (unique race, serialization, deadlock, lock
 *             not available); try again now, and after a few in a row, wait and try again
 * - bad_data: the message's own data was refused (22 data exception, e.g. a NUL character jsonb
 *             cannot hold; 54 program limit, e.g. a JSON nested too deep); trying again cannot help
 * - refused:  any other refusal: the database's state or the schema, not the data — a read-only
 *             server (25006, a standby behind a stale address), a missing privilege (42501), a table
 *             or column the running code expects but the schema lacks or has renamed during a
 *             rolling deploy (42P01, 42703), a constraint other than the unique ones the flow expects
 *             (class 23: the schema's constraints mirror validation, so a violation means schema and
 *             code disagree), an internal error (XX); wait it out and try again
 * - bug:      an error that is not the database's (no SQLSTATE): the code; wait it out too
 *
 * Only bad_data may make a message a dead letter (blamesTheMessage): waiting out a refusal that was
 * the message's fault stalls its partition, which readiness and the metrics show; dead-lettering a
 * valid message for a refusal that was not loses it.
 */
export type DatabaseErrorKind = 'outage' | 'conflict' | 'bad_data' | 'refused' | 'bug';

const OUTAGE_SQLSTATE_CLASSES = ['08', '57', '53', '58'];
const CONFLICT_SQLSTATES = new Set(['23505', '40001', '40P01', '55P03']);
/** 22: data exception; 54: program limit exceeded (e.g. jsonb nested too deep). */
const BAD_DATA_SQLSTATE_CLASSES = ['22', '54'];
/** Node's socket errors: the server is not there. Other `E…`/`ERR_…` codes are bugs, not outages. */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * pg and pg-pool say these without a code when a connection breaks, cannot be made, or a statement
 * got no answer within DATABASE_QUERY_TIMEOUT_MS (`Query read timeout`: the connection is destroyed).
 */
const CONNECTION_FAILURE_TEXT =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed|not (yet )?connected|Cannot use a pool after calling end/i;

export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  const code = findProperty(error, 'code');
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code)) return 'outage';
    if (/^[0-9A-Z]{5}$/.test(code)) return classifySqlState(code);
  }
  const message = findProperty(error, 'message');
  if (typeof message === 'string' && CONNECTION_FAILURE_TEXT.test(message)) return 'outage';
  return 'bug';
}

function classifySqlState(code: string): DatabaseErrorKind {
  if (CONFLICT_SQLSTATES.has(code)) return 'conflict';
  if (OUTAGE_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return 'outage';
  if (BAD_DATA_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return 'bad_data';
  return 'refused';
}

/** Whether the refusal was caused by the data being written, so that the message carrying it may become a dead letter. */
export function blamesTheMessage(kind: DatabaseErrorKind): boolean {
  return kind === 'bad_data';
}

/** The SQLSTATE of a failed database call (TypeORM's wrapper looked through), or null when it has none. */
export function sqlStateOf(error: unknown): string | null {
  const code = findProperty(error, 'code');
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** TypeORM wraps driver errors (QueryFailedError.driverError); look through one level. */
function findProperty(error: unknown, name: 'code' | 'message'): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const record = error as Record<string, unknown>;
  if (record[name] !== undefined) return record[name];
  const inner = record.driverError;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[name] : undefined;
}
