import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor, type CursorKind } from './page-cursor.js';

/** A condition on one parameter of a list, e.g. `[(p) => \`status = ${p}\`, 'pending']`. */
export type ListFilter = [condition: (placeholder: string) => string, value: unknown];

export interface NewestFirstQuery {
  /** The table the list pages through (its rows have `id` and `received_at`); an alias may follow. */
  table: string;
  alias?: string;
  columns: string;
  kind: CursorKind;
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
  dataSource: DataSource,
  query: NewestFirstQuery,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const params: unknown[] = [];
  const parameter = (value: unknown) => `$${params.push(value)}`;
  const conditions = query.filters.map(([condition, value]) => condition(parameter(value)));
  if (query.cursor !== undefined) {
    const after = parameter(decodeCursor(query.kind, query.cursor));
    conditions.push(`(received_at, id) < (SELECT received_at, id FROM ${query.table} WHERE id = ${after})`);
  }
  const rows: Row[] = await dataSource.query(
    `SELECT ${query.columns} FROM ${query.table} ${query.alias ?? ''}
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY received_at DESC, id DESC LIMIT ${parameter(query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  return { rows: page, nextCursor: rows.length > query.limit ? encodeCursor(query.kind, page.at(-1)!.id) : null };
}
