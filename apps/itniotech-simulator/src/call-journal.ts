/** How the simulator ended a call. */
export type CallAnswer =
  | { kind: 'answered'; httpStatus: number; status?: string; reason?: string }
  | { kind: 'dropped'; phase: 'before_processing' | 'after_processing' };

/** What a call dropped before processing got when the simulator processed it later (`processAfterDropMs`). */
export interface LateProcessing {
  at: string;
  answer: CallAnswer;
}

/**
 * One provider call as received; `answer` is null while it is still being handled.
 * `processedAfterDrop` is set when a dropped call was processed later (no client saw that answer).
 */
export interface CallRecord {
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  remoteAddress: string;
  apiKey: string | null;
  timestamp: string | null;
  signatureValid: boolean;
  keyId: unknown;
  taskName: unknown;
  body: unknown;
  faultRuleId: number | null;
  answer: CallAnswer | null;
  latencyMs: number | null;
  processedAfterDrop: LateProcessing | null;
}

export type NewCall = Omit<CallRecord, 'seq' | 'receivedAt' | 'answer' | 'latencyMs' | 'faultRuleId' | 'processedAfterDrop'>;

/**
 * Every call received, and counters by answer. Calls are recorded on arrival, so a test can
 * wait until the simulator has a call before it knows the answer.
 */
export class CallJournal {
  private calls: CallRecord[] = [];
  private received = 0;
  private pending = 0;
  private byAnswer = new Map<string, number>();

  constructor(private readonly historyLimit: number) {}

  begin(call: NewCall): CallRecord {
    const record: CallRecord = {
      ...call,
      seq: ++this.received,
      receivedAt: new Date().toISOString(),
      faultRuleId: null,
      answer: null,
      latencyMs: null,
      processedAfterDrop: null,
    };
    this.pending += 1;
    this.remember(record);
    return record;
  }

  finish(record: CallRecord, answer: CallAnswer, latencyMs: number): void {
    record.answer = answer;
    record.latencyMs = latencyMs;
    this.pending -= 1;
    const label = answerLabel(answer);
    this.byAnswer.set(label, (this.byAnswer.get(label) ?? 0) + 1);
  }

  list(): CallRecord[] {
    return [...this.calls];
  }

  /** Counters: total received, still pending, and answered by status ("0", "-41", "HTTP_503", "DROPPED_..."). */
  counters(): { total: number; pending: number; byStatus: Record<string, number> } {
    return { total: this.received, pending: this.pending, byStatus: Object.fromEntries(this.byAnswer) };
  }

  clear(): void {
    this.calls = [];
    this.received = 0;
    this.pending = 0;
    this.byAnswer = new Map();
  }

  private remember(record: CallRecord): void {
    this.calls.push(record);
    // Trimming in batches keeps each call O(1) on average.
    if (this.calls.length > this.historyLimit * 2) this.calls = this.calls.slice(this.calls.length - this.historyLimit);
  }
}

/** The key an answer is counted under. */
export function answerLabel(answer: CallAnswer): string {
  if (answer.kind === 'dropped') return `DROPPED_${answer.phase.toUpperCase()}`;
  return answer.status ?? `HTTP_${answer.httpStatus}`;
}
