import { formatProviderDateTime } from '#itniotech';

/** A task the simulator created, with what it received, for the ledger. */
export interface SimulatedTask {
  taskId: number;
  keyId: number;
  taskName: string;
  scriptId: number;
  /** Provider task status; new tasks wait (0). */
  status: number;
  /** `yyyy-MM-dd HH:mm:ss`, UTC, as the provider writes times. */
  createdTime: string;
  createdAt: string;
  body: unknown;
  headers: { apiKey: string; timestamp: string };
}

export type NewTask = Pick<SimulatedTask, 'keyId' | 'taskName' | 'scriptId' | 'body' | 'headers'>;

/**
 * All tasks in memory. Names are indexed, since every resend checks one. Several tasks may share
 * a name when the simulator does not refuse repeated names (`uniqueTaskNames` off).
 */
export class TaskStore {
  private readonly tasksById = new Map<number, SimulatedTask>();
  private readonly idsByName = new Map<string, number>();
  private nextTaskId: number;

  constructor(private readonly firstTaskId: number) {
    this.nextTaskId = firstTaskId;
  }

  hasName(taskName: string): boolean {
    return this.idsByName.has(taskName);
  }

  create(task: NewTask, now = new Date()): SimulatedTask {
    const created: SimulatedTask = {
      ...task,
      taskId: this.nextTaskId++,
      status: 0,
      createdTime: formatProviderDateTime(now),
      createdAt: now.toISOString(),
    };
    this.tasksById.set(created.taskId, created);
    this.idsByName.set(created.taskName, created.taskId);
    return created;
  }

  get(taskId: number): SimulatedTask | undefined {
    return this.tasksById.get(taskId);
  }

  /**
   * Like the provider's search: the name CONTAINS the condition (so callers must check for an
   * exact match), created within [from, to] (provider-format strings compare in time order).
   */
  search(condition: string, from: string, to: string): SimulatedTask[] {
    const found: SimulatedTask[] = [];
    for (const task of this.tasksById.values()) {
      if (task.taskName.includes(condition) && task.createdTime >= from && task.createdTime <= to) found.push(task);
    }
    return found;
  }

  list(): SimulatedTask[] {
    return [...this.tasksById.values()];
  }

  clear(): void {
    this.tasksById.clear();
    this.idsByName.clear();
    this.nextTaskId = this.firstTaskId;
  }
}
