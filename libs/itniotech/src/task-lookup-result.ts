/**
 * One group-call task as the query and detail endpoints describe it.
 * Provider task status: 0 waiting, 1 calling, 2 completed, 3 submission failed, 4 cancelled,
 * 5 suspended, 6 submitting.
 */
export interface ProviderTask {
  jobId: number;
  taskName: string;
  status: number;
  /** `yyyy-MM-dd HH:mm:ss` in the provider's local time, as given. */
  createdTime: string;
}

/** Why a lookup could not give an answer; `errorCode` uses the same codes as `classify`. */
export interface LookupFailure {
  kind: 'failed';
  errorCode: string;
  message: string;
}

/** Outcome of `findTasksByName`: only tasks whose name is exactly the one asked for. */
export type TaskLookupResult = { kind: 'found'; tasks: ProviderTask[] } | { kind: 'not_found' } | LookupFailure;

/** Outcome of `getTaskDetail`. */
export type TaskDetailResult = { kind: 'found'; task: ProviderTask } | { kind: 'not_found' } | LookupFailure;
