import { failure, success, type ProviderAnswer } from './provider-statuses.js';
import { resendAiBodySchema, taskQuerySchema } from './request-schemas.js';
import { RuntimeSettings } from './runtime-settings.js';
import { TaskStore, type SimulatedTask } from './task-store.js';

/** What the endpoints do once a call has passed the gate. */
export class ProviderEndpoints {
  constructor(
    private readonly settings: RuntimeSettings,
    private readonly tasks: TaskStore,
  ) {}

  /** `POST /voice/group/call/resend/ai`: creates a new task and answers its id. */
  resendAi(body: unknown, headers: { apiKey: string; timestamp: string }): ProviderAnswer {
    const parsed = resendAiBodySchema.safeParse(body);
    if (!parsed.success) return failure('-22');
    const request = parsed.data;
    if (this.settings.value.uniqueTaskNames && this.tasks.hasName(request.taskName)) return failure('-41');
    if (!this.settings.knownScriptIds.contains(request.scriptId)) return failure('-60');
    const task = this.tasks.create({ keyId: request.keyId, taskName: request.taskName, scriptId: request.scriptId, body, headers });
    return success(task.taskId);
  }

  /** `POST /voice/group/call/query`: one page of tasks whose name contains the search condition. */
  query(body: unknown): ProviderAnswer {
    const parsed = taskQuerySchema.safeParse(body);
    if (!parsed.success) return failure('-22');
    const { current, size, params } = parsed.data;
    const found = this.tasks.search(params.searchCondition ?? '', params.strTime, params.endTime);
    const records = found.slice((current - 1) * size, current * size).map(toRecord);
    return success({ records, total: found.length, current, size });
  }

  /** `GET /voice/group/call/detail/{id}`: one task, or -24 when there is none. */
  detail(id: string): ProviderAnswer {
    if (!/^\d+$/.test(id)) return failure('-22');
    const task = this.tasks.get(Number(id));
    return task === undefined ? failure('-24') : success(toRecord(task));
  }
}

/** A task as the provider lists it. */
function toRecord(task: SimulatedTask): Record<string, unknown> {
  return {
    jobId: task.taskId,
    taskName: task.taskName,
    status: task.status,
    createdTime: task.createdTime,
    keyId: task.keyId,
    scriptId: task.scriptId,
  };
}
