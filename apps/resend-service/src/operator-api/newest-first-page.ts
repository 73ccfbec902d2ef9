import type { SqlExecutor, SqlStatement } from '#sql';
import { decodeCursor, encodeCursor, type CursorKind } from './page-cursor.js';

/** A list the operator API pages through: a table whose rows have `id` and `received_at` (an alias may follow). */
export interface NewestFirstList {
  /** The statement's name; each filter and the cursor add theirs (pageStatement). */
  name: string;
  table: string;
  alias?: string;
  columns: string;
  kind: CursorKind;
}

/**
 * A condition on one parameter of a list, e.g. `{ name: 'status', condition: (p) => \`status = ${p}\` }`.
 * Its name goes into the statement's: a filter's name always stands for the same condition.
 */
export interface ListCondition {
  name: string;
  condition: (placeholder: string) => string;
}

export type ListFilter = ListCondition & { value: unknown };

export interface PageRequest {
  filters: ListFilter[];
  cursor?: string;
  limit: number;
}

/**
 * One page of a list, newest first by (received_at, id): at most `limit` rows, and the cursor of
 * the next page (null on the last one). The next page starts after the cursor's row, so rows
 * arriving meanwhile never shift a page.
 */
export async function newestFirstPage<Row extends { id: string }>(
  sql: SqlExecutor,
  list: NewestFirstList,
  page: PageRequest,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const { statement, values } = pageStatement(list, page);
  const rows = await sql.query<Row>(statement, values);
  const shown = rows.slice(0, page.limit);
  return { rows: shown, nextCursor: rows.length > page.limit ? encodeCursor(list.kind, shown.at(-1)!.id) : null };
}

/**
 * The statement of one page, one row more than the page (to know whether another follows). Its
 * text depends on which filters are given and on the cursor, and so does its name: pg prepares a
 * named statement once per connection, and one name must always come with one text.
 */
export function pageStatement(list: NewestFirstList, page: PageRequest): { statement: SqlStatement; values: unknown[] } {
  const values: unknown[] = [];
  const parameter = (value: unknown) => `$${values.push(value)}`;
  const names = [list.name, ...page.filters.map((filter) => filter.name)];
  const conditions = page.filters.map((filter) => filter.condition(parameter(filter.value)));
  if (page.cursor !== undefined) {
    names.push('after-cursor');
    const after = parameter(decodeCursor(list.kind, page.cursor));
    conditions.push(`(received_at, id) < (SELECT received_at, id FROM ${list.table} WHERE id = ${after})`);
  }
  const text = `SELECT ${list.columns} FROM ${list.table} ${list.alias ?? ''}
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY received_at DESC, id DESC LIMIT ${parameter(page.limit + 1)}`;
  return { statement: { name: names.join('.'), text }, values };
}
