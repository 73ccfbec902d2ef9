import type { SqlExecutor, SqlStatement } from '#sql';
import { describe, expect, it } from 'vitest';
import { newestFirstPage, pageStatement, type ListFilter } from './newest-first-page.js';
import { requestFilters, requestList } from './operator-api.sql.js';
import { encodeCursor } from './page-cursor.js';

const ROW_ID = '0b6a3c36-86c5-4f4c-9a0e-6f1c2d1b8e11';
const byKeyId: ListFilter = { ...requestFilters.keyId, value: 42 };
const byStatus: ListFilter = { ...requestFilters.status, value: 'pending' };

describe('pageStatement: one name for one text (pg prepares a named statement once per connection)', () => {
  it('names each combination of filters and cursor apart', () => {
    const combinations = [[], [byKeyId], [byStatus], [byKeyId, byStatus]].flatMap((filters) =>
      [undefined, encodeCursor('requests', ROW_ID)].map((cursor) => pageStatement(requestList, { filters, cursor, limit: 10 }).statement),
    );
    const textByName = new Map<string, string>(combinations.map((statement) => [statement.name, statement.text]));
    expect(textByName.size).toBe(combinations.length);
    expect(new Set(combinations.map((statement) => statement.text)).size).toBe(combinations.length);
  });

  it('gives the same name the same text whatever the values', () => {
    const first = pageStatement(requestList, { filters: [byStatus], limit: 10 });
    const second = pageStatement(requestList, { filters: [{ ...byStatus, value: 'failed' }], limit: 50 });
    expect(second.statement).toEqual(first.statement);
    expect(first.values).toEqual(['pending', 11]);
    expect(second.values).toEqual(['failed', 51]);
  });

  it('names the filters and the cursor in the order they are given', () => {
    const { statement, values } = pageStatement(requestList, {
      filters: [byKeyId, byStatus],
      cursor: encodeCursor('requests', ROW_ID),
      limit: 2,
    });
    expect(statement.name).toBe('operator-api.list-requests.key-id.status.after-cursor');
    expect(values).toEqual([42, 'pending', ROW_ID, 3]);
  });
});

describe('newestFirstPage', () => {
  it('shows at most `limit` rows, and a cursor to the next page only when one follows', async () => {
    const rowsFor = (count: number): SqlExecutor =>
      ({ query: async (_statement: SqlStatement) => Array.from({ length: count }, (_, i) => ({ id: `${i}` })) }) as SqlExecutor;
    const full = await newestFirstPage(rowsFor(3), requestList, { filters: [], limit: 2 });
    expect(full.rows.map((row) => row.id)).toEqual(['0', '1']);
    expect(full.nextCursor).toBe(encodeCursor('requests', '1'));
    const last = await newestFirstPage(rowsFor(2), requestList, { filters: [], limit: 2 });
    expect(last.nextCursor).toBeNull();
  });
});
