import { describe, expect, it } from 'vitest';
import { formatProviderDateTime } from './provider-date-time.js';
import { readTask, readTaskPage } from './task-records.js';

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

  it.each([[null], [[]], [{ records: 'none' }], [{ records: [{ taskName: 'no id' }] }]])('refuses %j', (data) => {
    expect(readTaskPage(data)).toBeUndefined();
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
