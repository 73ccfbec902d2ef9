import { readProviderId } from './provider-envelope.js';
import type { ProviderTask } from './task-lookup-result.js';

/**
 * One page of `POST /voice/group/call/query`. Assumed shape (not documented in full):
 * `data: { records: [...], total, current, size }`.
 */
export interface TaskPage {
  tasks: ProviderTask[];
  total: number;
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
  const total = typeof data['total'] === 'number' ? data['total'] : Number(data['total']);
  return { tasks, total: Number.isFinite(total) ? total : tasks.length };
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
