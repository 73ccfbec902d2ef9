/**
 * The small port the hot path talks to PostgreSQL through: plain SQL with parameters, rows back.
 * A statement with a `name` is prepared once per connection by pg and only executed after that.
 */
export interface SqlStatement {
  name: string;
  text: string;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(statement: SqlStatement | string, values?: unknown[]): Promise<Row[]>;
}

/** A database the caller can also open transactions on: committed if `work` resolves, rolled back if it throws. */
export interface SqlDatabase extends SqlExecutor {
  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T>;
}
