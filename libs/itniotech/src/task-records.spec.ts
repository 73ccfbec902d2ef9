import { describe, expect, it } from 'vitest';
import { formatProviderDateTime } from './provider-date-time.js';
import { lookupProgress, readTask, readTaskPage } from './task-records.js';

describe('readTaskPage', () => {
  it('reads records and total', () => {
    const data = {
      records: [{ jobId: 100000, taskName: 'spring-sale', status: 0, createdTime: '2024-06-03 10:42:05', extra: 'ignored' }],
      total: 1,
      current: 1,
      size: 20,
    };
    expect(readTaskPage(data)).toEqual({
      tasks: [{ jobId: 100000, taskName: 'spring-sale', status: 0, createdTime: '2024-06-03 10:42:05' }],
      total: 1,
    });
  });

  it('accepts ids and statuses as strings', () => {
    const page = readTaskPage({ records: [{ jobId: '7', taskName: 'a', status: '2', createdTime: 'x' }], total: '1' });
    expect(page).toEqual({ tasks: [{ jobId: 7, taskName: 'a', status: 2, createdTime: 'x' }], total: 1 });
  });

  it('has no total when the answer gives none: it cannot say whether more pages follow', () => {
    expect(readTaskPage({ records: [{ jobId: 1, taskName: 'a', status: 0 }] })).toMatchObject({ total: undefined });
    expect(readTaskPage({ records: [], total: 'many' })).toMatchObject({ total: undefined });
  });

  it.each([[null], [[]], [{ records: 'none' }], [{ records: [{ taskName: 'no id' }] }]])('refuses %j', (data) => {
    expect(readTaskPage(data)).toBeUndefined();
  });
});

describe('lookupProgress', () => {
  const limits = { pageSize: 2, maxPages: 3 };
  const task = (taskName: string) => ({ jobId: 1, taskName, status: 0, createdTime: '' });
  const full = [task('sale-a'), task('sale-b')];

  it('stops at a match', () => {
    expect(lookupProgress({ tasks: full, total: 40 }, 1, 1, limits)).toBe('found');
  });

  it('has seen every record after a short page, or once the pages cover the total', () => {
    expect(lookupProgress({ tasks: [task('sale-a')], total: undefined }, 1, 0, limits)).toBe('seen_all');
    expect(lookupProgress({ tasks: [], total: undefined }, 2, 0, limits)).toBe('seen_all');
    expect(lookupProgress({ tasks: full, total: 4 }, 2, 0, limits)).toBe('seen_all');
  });

  it('reads on after a full page when the answer has no total (the next page may hold the name)', () => {
    expect(lookupProgress({ tasks: full, total: undefined }, 1, 0, limits)).toBe('read_more');
    expect(lookupProgress({ tasks: full, total: 5 }, 2, 0, limits)).toBe('read_more');
  });

  it('is incomplete, never "not found", when the last page it may read leaves records unseen', () => {
    expect(lookupProgress({ tasks: full, total: 7 }, 3, 0, limits)).toBe('incomplete');
    expect(lookupProgress({ tasks: full, total: undefined }, 3, 0, limits)).toBe('incomplete');
  });
});

describe('readTask', () => {
  it('refuses a record without a name', () => {
    expect(readTask({ jobId: 1, status: 0 })).toBeUndefined();
  });
});

describe('formatProviderDateTime', () => {
  it('writes yyyy-MM-dd HH:mm:ss in UTC by default', () => {
    expect(formatProviderDateTime(new Date('2024-06-03T10:42:05.900Z'))).toBe('2024-06-03 10:42:05');
  });

  it('shifts to the provider zone when one is configured', () => {
    expect(formatProviderDateTime(new Date('2024-06-03T20:00:00Z'), 8 * 60)).toBe('2024-06-04 04:00:00');
  });
});
