/**
 * What a failed database call means for the caller, from its SQLSTATE class:
 * - outage:   the server cannot be reached or is restarting; wait and try again, nothing is wrong with the data
 * - conflict: a concurrent transaction got in the way (unique race, serialization, deadlock); try again now
 * - bad_data: the data itself was refused (e.g. a NUL character jsonb cannot hold); trying again cannot help
 * - bug:      anything else (a wrong statement, a programming error); not worth retrying forever
 */
export type DatabaseErrorKind = 'outage' | 'conflict' | 'bad_data' | 'bug';

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
/** pg and pg-pool say these without a code when a connection breaks or cannot be made. */
const CONNECTION_FAILURE_TEXT =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|not (yet )?connected|Cannot use a pool after calling end/i;

export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  const code = findProperty(error, 'code');
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code)) return 'outage';
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (CONFLICT_SQLSTATES.has(code)) return 'conflict';
      if (OUTAGE_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return 'outage';
      if (BAD_DATA_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return 'bad_data';
    }
  }
  const message = findProperty(error, 'message');
  if (typeof message === 'string' && CONNECTION_FAILURE_TEXT.test(message)) return 'outage';
  return 'bug';
}

/** TypeORM wraps driver errors (QueryFailedError.driverError); look through one level. */
function findProperty(error: unknown, name: 'code' | 'message'): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const record = error as Record<string, unknown>;
  if (record[name] !== undefined) return record[name];
  const inner = record.driverError;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[name] : undefined;
}
