import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from './consumed-message.js';
import {
  decideIntake,
  freshRequests,
  requestIdAtPosition,
  requestIdsToLookUp,
  type LiveRequest,
  type RecordedBefore,
} from './intake-decision.js';
import { readMessage, type ReceivedMessage, type ReceivedRequest } from './received-message.js';
import { recordFingerprint } from './record-fingerprint.js';

let offset = 0;
/** A message at the next offset, or at `at` (a position used before, as after the topic was created again). */
function received(value: unknown, at?: string): ReceivedMessage {
  const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const message: ConsumedMessage = {
    topic: 'campaign.resend.requested',
    partition: 0,
    offset: at ?? String(offset++),
    key: null,
    value: bytes,
    headers: {},
    fingerprint: recordFingerprint({ timestamp: '1764400000000', key: null, value: bytes, headers: {} }),
  };
  return readMessage(message);
}

function request(requestId: string, keyId: number, scriptId = 1) {
  return {
    requestId,
    keyId,
    taskName: `task-${keyId}`,
    scriptId,
    resendType: 1,
    maxCalls: 1,
    displayNum: '1',
    maxRingingTime: 60,
    enableRecording: 1,
  };
}

const nothingRecorded = (): RecordedBefore => ({ requestIds: new Map() });

function withoutRequestId(keyId: number) {
  const { requestId: _none, ...rest } = request('unused', keyId);
  return rest;
}

function live(overrides: Partial<LiveRequest> & { keyId: number; fingerprint: string | null }): Map<number, LiveRequest> {
  const row: LiveRequest = { id: 'row-1', requestId: 'earlier', status: 'pending', providerTaskId: null, ...overrides };
  return new Map([[row.keyId, row]]);
}

describe('decideIntake', () => {
  it('records a new request for a free keyId as pending', () => {
    expect(decideIntake([received(request('a', 1))], nothingRecorded(), new Map())).toEqual([{ kind: 'pending' }]);
  });

  it('ignores a redelivery, by requestId or, without one, by the id its position and record name', () => {
    const byId = received(request('a', 1));
    const byPosition = received(withoutRequestId(2)) as ReceivedRequest;
    const recorded = {
      requestIds: new Map([
        ['a', 'another record with the same requestId'],
        [byPosition.requestId, byPosition.message.fingerprint],
      ]),
    };
    byPosition.requestId = requestIdAtPosition(byPosition, recorded);
    expect(byPosition.requestId).toBe(`campaign.resend.requested:0:${byPosition.message.offset}`);
    expect(decideIntake([byId, byPosition], recorded, new Map()).map((d) => d.kind)).toEqual(['redelivery', 'redelivery']);
  });

  it('records a new message at a position an earlier record was recorded at (the topic was created again)', () => {
    const earlier = received(request('old', 3)) as ReceivedRequest;
    const withId = received(request('new', 4), earlier.message.offset) as ReceivedRequest;
    const withoutId = received(withoutRequestId(5), earlier.message.offset) as ReceivedRequest;
    // The old record at that position had no requestId either: its name is the position's.
    const recorded = { requestIds: new Map([[withoutId.requestId, earlier.message.fingerprint]]) };
    expect(requestIdsToLookUp([withId, withoutId])).toEqual([
      'new',
      `campaign.resend.requested:0:${earlier.message.offset}`,
      `campaign.resend.requested:0:${earlier.message.offset}:${withoutId.message.fingerprint.slice(0, 16)}`,
    ]);

    withoutId.requestId = requestIdAtPosition(withoutId, recorded);
    expect(withoutId.requestId).toBe(`campaign.resend.requested:0:${earlier.message.offset}:${withoutId.message.fingerprint.slice(0, 16)}`);
    expect(decideIntake([withId, withoutId], recorded, new Map()).map((d) => d.kind)).toEqual(['pending', 'pending']);

    // Read again, it is recorded under that name: a redelivery.
    const again = { requestIds: new Map([...recorded.requestIds, [withoutId.requestId, withoutId.message.fingerprint]]) };
    expect(requestIdAtPosition(withoutId, again)).toBe(withoutId.requestId);
    expect(decideIntake([withoutId], again, new Map()).map((d) => d.kind)).toEqual(['redelivery']);
  });

  it('takes a row recorded before fingerprints were kept to be the record at its position', () => {
    const anonymous = received(withoutRequestId(6)) as ReceivedRequest;
    const recorded = { requestIds: new Map([[anonymous.requestId, null]]) };
    expect(requestIdAtPosition(anonymous, recorded)).toBe(anonymous.requestId);
    expect(decideIntake([anonymous], recorded, new Map()).map((d) => d.kind)).toEqual(['redelivery']);
  });

  it('treats a second copy of a requestId in the same batch as a redelivery', () => {
    const decisions = decideIntake([received(request('a', 1)), received(request('a', 1))], nothingRecorded(), new Map());
    expect(decisions.map((d) => d.kind)).toEqual(['pending', 'redelivery']);
  });

  it('makes a same-payload request for a live keyId a duplicate of the live request', () => {
    const repeat = received(request('b', 1));
    const holder = live({
      keyId: 1,
      fingerprint: repeat.kind === 'request' ? repeat.fingerprint : null,
      status: 'completed',
      providerTaskId: 77,
    });
    const [decision] = decideIntake([repeat], nothingRecorded(), holder);
    expect(decision).toEqual({ kind: 'duplicate', original: holder.get(1) });
  });

  it('refuses another payload for a live keyId, naming the live request', () => {
    const holder = live({ keyId: 1, fingerprint: 'something else', status: 'in_progress' });
    const [decision] = decideIntake([received(request('b', 1, 2))], nothingRecorded(), holder);
    expect(decision).toMatchObject({
      kind: 'conflict',
      original: { requestId: 'earlier' },
      failure: { code: 'DUPLICATE_KEY_ID', category: 'duplicate' },
    });
    expect(decision!.kind === 'conflict' && decision!.failure.message).toContain('keyId 1 already has request earlier (in_progress)');
  });

  it('lets the first copy in partition order win within a batch: later ones repeat it or conflict with it', () => {
    const first = received(request('a', 1));
    const decisions = decideIntake([first, received(request('b', 1)), received(request('c', 1, 9))], nothingRecorded(), new Map());
    expect(decisions.map((d) => d.kind)).toEqual(['pending', 'duplicate', 'conflict']);
    expect(decisions[1]).toMatchObject({ original: { requestId: 'a', status: 'pending', id: first.kind === 'request' && first.rowId } });
  });

  it('refuses an invalid request, and keeps it as a dead letter too when it has no usable keyId', () => {
    const decisions = decideIntake([received({ requestId: 'x', keyId: 5 }), received({ requestId: 'y' })], nothingRecorded(), new Map());
    expect(decisions).toMatchObject([
      { kind: 'invalid', alsoDeadLetter: false, failure: { code: 'VALIDATION', category: 'validation' } },
      { kind: 'invalid', alsoDeadLetter: true },
    ]);
  });

  it('passes messages that are not JSON objects on as dead letters', () => {
    expect(decideIntake([received('not json'), received('[1]')], nothingRecorded(), new Map())).toEqual([
      { kind: 'dead_letter' },
      { kind: 'dead_letter' },
    ]);
  });
});

describe('freshRequests', () => {
  it('passes a batch of valid requests with their own requestIds and keyIds, in order', () => {
    const batch = [received(request('a', 1)), received(request('b', 2)), received(request('c', 3))];
    expect(freshRequests(batch)).toEqual(batch);
  });

  it('turns the whole batch away when two requests share a requestId or a keyId: the later one is decided by the earlier', () => {
    expect(freshRequests([received(request('a', 1)), received(request('a', 2))])).toBeNull();
    expect(freshRequests([received(request('a', 1)), received(request('b', 1))])).toBeNull();
  });

  it('turns the whole batch away for an invalid request or a message that is not one', () => {
    expect(freshRequests([received(request('a', 1)), received({ requestId: 'x', keyId: 5 })])).toBeNull();
    expect(freshRequests([received('not json'), received(request('a', 1))])).toBeNull();
  });

  // The one-round-trip path is offered exactly the batches whose every message decideIntake would
  // record as pending when the database holds nothing for them.
  it('agrees with decideIntake on an empty database', () => {
    const batches = [
      [received(request('a', 1)), received(request('b', 2))],
      [received(request('a', 1)), received(request('b', 1))],
      [received(request('a', 1)), received(request('a', 1))],
      [received(request('a', 1)), received({ requestId: 'x', keyId: 5 })],
    ];
    for (const batch of batches) {
      const allPending = decideIntake(batch, nothingRecorded(), new Map()).every((decision) => decision.kind === 'pending');
      expect(freshRequests(batch) !== null).toBe(allPending);
    }
  });
});
