import { readProviderId } from './provider-envelope.js';
import type { ProviderTask } from './task-lookup-result.js';

/**
 * One page of `POST /voice/group/call/query`. Assumed shape (not documented in full):
 * `data: { records: [...], total, current, size }`.
 */
export interface TaskPage {
  tasks: ProviderTask[];
  /** Records matching the search on all pages; undefined when the answer does not say. */
  total: number | undefined;
}

/**
 * Where a lookup paging through the query stands after page `page` (from 1):
 * found        a record of the name is among the `matches` so far
 * seen_all     every record matching the search has been read, none of the name
 * read_more    records are left, and the next page may be read
 * incomplete   records are left but no more pages may be read: the lookup has no answer
 *              ("not found" would be a guess, and a wrong one would send the request again)
 */
export type LookupProgress = 'found' | 'seen_all' | 'read_more' | 'incomplete';

export function lookupProgress(
  taskPage: TaskPage,
  page: number,
  matches: number,
  limits: { pageSize: number; maxPages: number },
): LookupProgress {
  if (matches > 0) return 'found';
  const shortPage = taskPage.tasks.length < limits.pageSize;
  const coversTotal = taskPage.total !== undefined && page * limits.pageSize >= taskPage.total;
  if (shortPage || coversTotal) return 'seen_all';
  return page < limits.maxPages ? 'read_more' : 'incomplete';
}

/** Reads the `data` of a query answer; `undefined` when it is not a page of tasks. */
export function readTaskPage(data: unknown): TaskPage | undefined {
  if (!isObject(data) || !Array.isArray(data['records'])) return undefined;
  const tasks: ProviderTask[] = [];
  for (const record of data['records']) {
    const task = readTask(record);
    if (task === undefined) return undefined;
    tasks.push(task);
  }
  return { tasks, total: readTotal(data['total']) };
}

function readTotal(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const total = Number(value);
  return Number.isFinite(total) ? total : undefined;
}

/** Reads one task record (a query row or a detail's `data`); `undefined` when fields are missing. */
export function readTask(record: unknown): ProviderTask | undefined {
  if (!isObject(record)) return undefined;
  const jobId = readProviderId(record['jobId']);
  const status = readProviderId(record['status']);
  const taskName = record['taskName'];
  const createdTime = record['createdTime'];
  if (jobId === undefined || status === undefined || typeof taskName !== 'string') return undefined;
  return { jobId, taskName, status, createdTime: typeof createdTime === 'string' ? createdTime : '' };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
