/**
 * The port every query goes through: plain SQL with parameters, rows back. A statement with a
 * `name` is prepared once per connection by pg and only executed after that; named statements
 * live in `*.sql.ts` files beside the code that owns their table.
 */
export interface SqlStatement {
  name: string;
  text: string;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values?: unknown[]): Promise<Row[]>;
}

/**
 * Rows that come with a transaction's COMMIT. Not a promise, so that it cannot be awaited inside
 * the transaction (which would wait for a COMMIT that has not been sent: a deadlock): `read()`
 * them once the transaction has committed, and only then.
 */
export interface AfterCommit<T> {
  /** The value; throws when called before the transaction committed (or after it failed). */
  read(): Promise<T>;
  /** The value transformed once it is read. */
  map<U>(transform: (value: T) => U): AfterCommit<U>;
}

/**
 * A transaction's statements are pipelined: each goes out as soon as it is issued, without waiting
 * for the answer to the one before. `BEGIN` goes out with the first statement and `COMMIT` with
 * the statements sent last, so a transaction that reads, decides and writes costs two round trips.
 */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Sends a statement whose rows the work does not need. Nothing waits for it: `COMMIT` follows
   * it on the wire. If it fails, the transaction is rolled back and fails with its error.
   */
  send(statement: SqlStatement | string, values?: unknown[]): void;

  /**
   * Like send(), for a statement whose rows are needed once the transaction has committed: they
   * come with the COMMIT's answer. Use them only if it succeeded: a statement sent after this one
   * may still fail the transaction.
   */
  sendForRows<Row = Record<string, unknown>>(statement: SqlStatement | string, values?: unknown[]): AfterCommit<Row[]>;
}

/** A database the caller can also open transactions on: committed if `work` resolves, rolled back if it throws. */
export interface SqlDatabase extends SqlExecutor {
  transaction<T>(work: (transaction: SqlTransaction) => Promise<T>): Promise<T>;
}
