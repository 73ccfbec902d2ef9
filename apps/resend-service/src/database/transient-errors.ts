/**
 * True for database errors worth retrying as they are: the server is unreachable or
 * restarting, or a concurrent transaction got in the way (serialization failure, deadlock,
 * a unique index race that a retry resolves by seeing the other row).
 * False for errors in the data itself (e.g. a \u0000 that jsonb refuses): retrying cannot help.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = findProperty(error, 'code');
  if (typeof code === 'string') {
    if (code.startsWith('08') || code.startsWith('57P') || code === '53300' || code === '40001' || code === '40P01') return true;
    if (code === '23505') return true;
    if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(code)) return true;
  }
  const message = String(findProperty(error, 'message') ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not (yet )?connected|Cannot use a pool after calling end/i.test(
    message,
  );
}

/** True when the database could not be reached at all (as opposed to a conflict between transactions). */
export function isConnectionError(error: unknown): boolean {
  const code = findProperty(error, 'code');
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code === '53300' || code.startsWith('E'))) {
    return true;
  }
  return isTransientDatabaseError(error) && !['23505', '40001', '40P01'].includes(String(code));
}

/** TypeORM wraps driver errors (QueryFailedError.driverError); look through one level. */
function findProperty(error: unknown, name: 'code' | 'message'): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const record = error as Record<string, unknown>;
  if (record[name] !== undefined) return record[name];
  const inner = record.driverError;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[name] : undefined;
}
