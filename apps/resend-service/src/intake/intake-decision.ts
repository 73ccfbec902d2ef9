import { describeIssues } from '#contracts';
import type { FailureDescription } from '../outcome/outcome-events.js';
import { positionRequestId, reusedPositionRequestId, type ReceivedMessage, type ReceivedRequest } from './received-message.js';

/** The request that holds a keyId now: pending, in progress or completed (at most one, by a unique index). */
export interface LiveRequest {
  id: string;
  requestId: string;
  keyId: number;
  status: 'pending' | 'in_progress' | 'completed';
  fingerprint: string | null;
  providerTaskId: number | null;
}

/**
 * What has already been recorded under the batch's requestIds (those a request without requestId
 * may be named by included, see requestIdAtPosition): the fingerprint of the record each was
 * recorded from, null for a row recorded before fingerprints were kept.
 */
export interface RecordedBefore {
  requestIds: Map<string, string | null>;
}

/**
 * redelivery   already recorded: nothing to do
 * dead_letter  cannot be a request at all
 * pending      a new request: to be submitted
 * duplicate    same payload as the live request of its keyId: answered from it, never sent
 * conflict     another payload for a keyId that is taken: refused
 * invalid      breaks a validation rule: refused (and kept as a dead letter too when it has no keyId)
 */
export type IntakeDecision =
  | { kind: 'redelivery' }
  | { kind: 'dead_letter' }
  | { kind: 'pending' }
  | { kind: 'duplicate'; original: LiveRequest }
  | { kind: 'conflict'; original: LiveRequest; failure: FailureDescription }
  | { kind: 'invalid'; failure: FailureDescription; alsoDeadLetter: boolean };

/** What recording did with a message, as counted by the metrics. */
export type RecordingResult = 'pending' | 'redelivery' | 'duplicate' | 'rejected' | 'dead_lettered';

export function recordingResultOf(decision: IntakeDecision): RecordingResult {
  if (decision.kind === 'conflict' || decision.kind === 'invalid') return 'rejected';
  if (decision.kind === 'dead_letter') return 'dead_lettered';
  return decision.kind;
}

/**
 * Decides every message of a batch, in partition order: a request recorded earlier in the batch
 * counts like one recorded before it (a second copy is a redelivery or a duplicate). `live` maps
 * keyIds to the requests holding them, as locked in the database.
 */
export function decideIntake(
  messages: readonly ReceivedMessage[],
  recorded: RecordedBefore,
  live: ReadonlyMap<number, LiveRequest>,
): IntakeDecision[] {
  const requestIds = new Set(recorded.requestIds.keys());
  const holders = new Map(live);
  return messages.map((received) => {
    if (received.kind === 'dead_letter') return { kind: 'dead_letter' };
    // The same record read again has the same requestId (without one, requestIdAtPosition says
    // whether the record at its position is this one); its position alone says nothing, as a
    // recreated topic hands the positions out again.
    if (requestIds.has(received.requestId)) return { kind: 'redelivery' };
    requestIds.add(received.requestId);
    const decision = decideRequest(received, holders);
    if (decision.kind === 'pending') holders.set(received.keyId!, newHolder(received));
    return decision;
  });
}

/**
 * The id a request is recorded under. A request without requestId is named by its position — or,
 * when a different record (another fingerprint) was recorded under that name before, because the
 * topic was deleted and created again, by its position and its own fingerprint. A row without a
 * fingerprint (NULL) is taken to be this record.
 */
export function requestIdAtPosition(received: ReceivedRequest, recorded: RecordedBefore): string {
  if (!received.requestIdFromPosition) return received.requestId;
  const named = positionRequestId(received.message);
  const fingerprint = recorded.requestIds.get(named);
  if (fingerprint === undefined || fingerprint === null || fingerprint === received.message.fingerprint) return named;
  return reusedPositionRequestId(received.message);
}

/** The requestIds to look up for a batch: a request without requestId may be recorded under either of its two. */
export function requestIdsToLookUp(requests: readonly ReceivedRequest[]): string[] {
  return requests.flatMap((received) =>
    received.requestIdFromPosition
      ? [positionRequestId(received.message), reusedPositionRequestId(received.message)]
      : [received.requestId],
  );
}

/**
 * The batch's requests when every message is a valid request and no two share a requestId or a
 * keyId; null otherwise. For such a batch the decision of each message depends on the database
 * alone — not on the messages before it — and is `pending` unless a unique index of
 * resend_request holds a row for its requestId, its record (position and fingerprint) or its
 * keyId (live): the insert of intake's one-round-trip path (insertNewRequests) asks the index
 * instead. One more is turned away there: a request without requestId whose position a different
 * record was recorded at, which the full decision records under another name (requestIdAtPosition).
 */
export function freshRequests(messages: readonly ReceivedMessage[]): ReceivedRequest[] | null {
  const requestIds = new Set<string>();
  const keyIds = new Set<number>();
  const requests: ReceivedRequest[] = [];
  for (const received of messages) {
    if (received.kind !== 'request' || !received.parsed.ok) return null;
    const keyId = received.parsed.body.keyId;
    if (requestIds.has(received.requestId) || keyIds.has(keyId)) return null;
    requestIds.add(received.requestId);
    keyIds.add(keyId);
    requests.push(received);
  }
  return requests;
}

function decideRequest(received: ReceivedRequest, holders: ReadonlyMap<number, LiveRequest>): IntakeDecision {
  const { parsed } = received;
  if (!parsed.ok) {
    const failure = { code: 'VALIDATION', category: 'validation' as const, message: describeIssues(parsed.issues) };
    return { kind: 'invalid', failure, alsoDeadLetter: parsed.keyId === null };
  }
  const original = holders.get(parsed.body.keyId);
  if (!original) return { kind: 'pending' };
  if (original.fingerprint === received.fingerprint) return { kind: 'duplicate', original };
  return { kind: 'conflict', original, failure: conflictFailure(received, original) };
}

function conflictFailure(received: ReceivedRequest, original: LiveRequest): FailureDescription {
  const task = original.providerTaskId ? `, new task ${original.providerTaskId}` : '';
  return {
    code: 'DUPLICATE_KEY_ID',
    category: 'duplicate',
    message:
      `keyId ${received.keyId} already has request ${original.requestId} (${original.status}${task}) with a different payload; ` +
      'a keyId can be resent again only after its earlier request failed',
  };
}

function newHolder(received: ReceivedRequest): LiveRequest {
  return {
    id: received.rowId,
    requestId: received.requestId,
    keyId: received.keyId!,
    status: 'pending',
    fingerprint: received.fingerprint,
    providerTaskId: null,
  };
}
