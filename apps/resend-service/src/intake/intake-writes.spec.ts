import { describe, expect, it } from 'vitest';
import type { FailureDescription, OriginalRequest, OutcomeSubject } from '../outcome/outcome-events.js';
import type { ConsumedMessage } from './consumed-message.js';
import type { IntakeDecision, LiveRequest } from './intake-decision.js';
import { writesFor, type OutcomeBuilder } from './intake-writes.js';
import { readMessage, type ReceivedMessage, type ReceivedRequest } from './received-message.js';
import { recordFingerprint } from './record-fingerprint.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const TRACE = { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: null };

let offset = 0;
function received(value: unknown): ReceivedMessage {
  const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const message: ConsumedMessage = {
    topic: 'campaign.resend.requested',
    partition: 0,
    offset: String(offset++),
    key: null,
    value: bytes,
    headers: {},
    fingerprint: recordFingerprint({ timestamp: '1764400000000', key: null, value: bytes, headers: {} }),
  };
  return { ...readMessage(message), trace: TRACE };
}

function request(requestId: string, keyId: number): ReceivedRequest {
  const body = {
    requestId,
    keyId,
    taskName: `task-${keyId}`,
    scriptId: 1,
    resendType: 1,
    maxCalls: 1,
    displayNum: '1',
    maxRingingTime: 60,
  };
  return received({ ...body, enableRecording: 1, correlationId: `corr-${keyId}` }) as ReceivedRequest;
}

/** Outcome events as the arguments they were built from: what writesFor asks for, nothing random. */
const outcomes: OutcomeBuilder = {
  completed: (subject: OutcomeSubject, task: object, at: Date) => ({ topic: 'completed', key: null, value: { subject, task, at } }),
  failed: (subject: OutcomeSubject, failure: FailureDescription, at: Date, duplicateOf?: OriginalRequest) => ({
    topic: 'failed',
    key: null,
    value: { subject, failure, at, duplicateOf },
  }),
};

const original: LiveRequest = { id: 'row-0', requestId: 'earlier', keyId: 1, status: 'completed', fingerprint: 'f', providerTaskId: 77 };
const validation: FailureDescription = { code: 'VALIDATION', category: 'validation', message: 'scriptId: Required' };

function subjectOf(received: ReceivedRequest) {
  return {
    requestId: received.requestId,
    keyId: received.keyId,
    taskName: `task-${received.keyId}`,
    correlationId: `corr-${received.keyId}`,
    attempts: 0,
    trace: TRACE,
  };
}

describe('writesFor', () => {
  it('writes a pending request as a new row with its message, body and trace, and nothing else', () => {
    const message = request('a', 1);
    const writes = writesFor([message], [{ kind: 'pending' }], outcomes, NOW);
    expect(writes.rows).toEqual([
      expect.objectContaining({
        id: message.rowId,
        request_id: 'a',
        key_id: 1,
        task_name: 'task-1',
        correlation_id: 'corr-1',
        status: 'pending',
        provider_body: expect.objectContaining({ keyId: 1, taskName: 'task-1' }),
        body_fingerprint: message.fingerprint,
        duplicate_of: null,
        finished: false,
        kafka_topic: 'campaign.resend.requested',
        kafka_offset: message.message.offset,
        kafka_record_fingerprint: message.message.fingerprint,
        trace_parent: TRACE.traceParent,
        trace_state: null,
      }),
    ]);
    expect(writes.events).toEqual([]);
    expect(writes.deadLetters).toEqual([]);
  });

  it('answers a repeat of a completed request at once, from the original', () => {
    const repeat = request('b', 1);
    const writes = writesFor([repeat], [{ kind: 'duplicate', original }], outcomes, NOW);
    expect(writes.rows).toEqual([
      expect.objectContaining({ request_id: 'b', status: 'duplicate', duplicate_of: 'row-0', finished: true, provider_task_id: 77 }),
    ]);
    expect(writes.events).toEqual([
      {
        topic: 'completed',
        key: null,
        value: {
          subject: subjectOf(repeat),
          task: { newKeyId: 77, resolvedByLookup: false, duplicateOf: { requestId: 'earlier', newKeyId: 77 } },
          at: NOW,
        },
      },
    ]);
  });

  it('leaves a repeat of a request still under way unanswered, for when that one ends', () => {
    const underWay: LiveRequest = { ...original, status: 'in_progress', providerTaskId: null };
    const writes = writesFor([request('b', 1)], [{ kind: 'duplicate', original: underWay }], outcomes, NOW);
    expect(writes.rows).toEqual([
      expect.objectContaining({ status: 'duplicate', duplicate_of: 'row-0', finished: false, provider_task_id: null }),
    ]);
    expect(writes.events).toEqual([]);
  });

  it('refuses a conflicting request: a failed row pointing at the live one, and its failure event naming it', () => {
    const conflicting = request('c', 1);
    const failure: FailureDescription = { code: 'DUPLICATE_KEY_ID', category: 'duplicate', message: 'keyId 1 already has request earlier' };
    const writes = writesFor([conflicting], [{ kind: 'conflict', original, failure }], outcomes, NOW);
    expect(writes.rows).toEqual([
      expect.objectContaining({
        status: 'failed',
        duplicate_of: 'row-0',
        error_code: 'DUPLICATE_KEY_ID',
        error_message: failure.message,
        error_category: 'duplicate',
        finished: true,
      }),
    ]);
    expect(writes.events).toEqual([
      {
        topic: 'failed',
        key: null,
        value: { subject: subjectOf(conflicting), failure, at: NOW, duplicateOf: { requestId: 'earlier', newKeyId: 77 } },
      },
    ]);
    expect(writes.deadLetters).toEqual([]);
  });

  it('refuses an invalid request with a usable keyId: a failed row and its failure event, no dead letter', () => {
    const invalid = received({ requestId: 'x', keyId: 5 }) as ReceivedRequest;
    const writes = writesFor([invalid], [{ kind: 'invalid', failure: validation, alsoDeadLetter: false }], outcomes, NOW);
    expect(writes.rows).toEqual([
      expect.objectContaining({
        request_id: 'x',
        key_id: 5,
        status: 'failed',
        provider_body: null,
        error_code: 'VALIDATION',
        finished: true,
      }),
    ]);
    expect(writes.events).toMatchObject([{ topic: 'failed', value: { failure: validation, at: NOW, duplicateOf: undefined } }]);
    expect(writes.deadLetters).toEqual([]);
  });

  it('keeps an invalid request without a usable keyId as a dead letter too, with the span that recorded it', () => {
    const invalid = received({ requestId: 'y' }) as ReceivedRequest;
    const writes = writesFor([invalid], [{ kind: 'invalid', failure: validation, alsoDeadLetter: true }], outcomes, NOW);
    expect(writes.rows).toEqual([expect.objectContaining({ request_id: 'y', key_id: null, status: 'failed' })]);
    expect(writes.events).toHaveLength(1);
    expect(writes.deadLetters).toEqual([{ message: invalid.message, reason: 'no_usable_key_id', error: validation.message, trace: TRACE }]);
  });

  it('writes nothing for a redelivery', () => {
    expect(writesFor([request('a', 1)], [{ kind: 'redelivery' }], outcomes, NOW)).toEqual({ rows: [], events: [], deadLetters: [] });
  });

  it('keeps a message that cannot be a request as a dead letter only, with why', () => {
    const garbage = received('not json');
    const writes = writesFor([garbage], [{ kind: 'dead_letter' }], outcomes, NOW);
    expect(writes).toEqual({
      rows: [],
      events: [],
      deadLetters: [
        { message: garbage.message, reason: garbage.kind === 'dead_letter' && garbage.reason, error: expect.any(String), trace: TRACE },
      ],
    });
  });

  it('writes a batch in its order, each message by its own decision', () => {
    const batch = [request('p', 1), request('r', 2), received('[1]'), request('d', 3)];
    const decisions: IntakeDecision[] = [
      { kind: 'pending' },
      { kind: 'redelivery' },
      { kind: 'dead_letter' },
      { kind: 'duplicate', original },
    ];
    const writes = writesFor(batch, decisions, outcomes, NOW);
    expect(writes.rows.map((row) => [row.request_id, row.status])).toEqual([
      ['p', 'pending'],
      ['d', 'duplicate'],
    ]);
    expect(writes.events).toHaveLength(1);
    expect(writes.deadLetters.map((entry) => entry.message)).toEqual([batch[2]!.message]);
  });
});
