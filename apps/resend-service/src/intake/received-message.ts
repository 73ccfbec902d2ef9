import { randomUUID } from 'node:crypto';
import type { TraceContextText } from '#common';
import { parseResendRequest, type DeadLetterReason, type ParsedResendRequest } from '#contracts';
import { bodyFingerprint } from '../requests/body-fingerprint.js';
import type { ConsumedMessage } from './consumed-message.js';
import { decodeMessageValue } from './message-decoding.js';

/** A consumed message read as far as it can be without the database: a request, or a dead letter. */
export type ReceivedMessage =
  | { kind: 'dead_letter'; message: ConsumedMessage; reason: DeadLetterReason; error: string; trace: TraceContextText | null }
  | {
      kind: 'request';
      message: ConsumedMessage;
      /**
       * The context of the span that records it (RecordSpans sets it; null until then, and when
       * there is no trace at all): stored with the request and its dead letter, sent with its outcome.
       */
      trace: TraceContextText | null;
      /** The id its row gets if it is recorded: known up front, so a later copy in the batch can point at it. */
      rowId: string;
      /** Set again by intake for a request without one whose position a different record used before (requestIdAtPosition). */
      requestId: string;
      /** The message had no requestId: `requestId` names its position (positionRequestId). */
      requestIdFromPosition: boolean;
      payload: Record<string, unknown>;
      parsed: ParsedResendRequest;
      keyId: number | null;
      /** Of the normalised provider body; null when the request is invalid. */
      fingerprint: string | null;
    };

export type ReceivedRequest = Extract<ReceivedMessage, { kind: 'request' }>;

/** Decodes and validates one message. Never throws. */
export function readMessage(message: ConsumedMessage): ReceivedMessage {
  const decoded = decodeMessageValue(message.value);
  if (!decoded.ok) return { kind: 'dead_letter', message, reason: decoded.reason, error: decoded.message, trace: null };
  const parsed = parseResendRequest(decoded.value);
  return {
    kind: 'request',
    message,
    trace: null,
    rowId: randomUUID(),
    // Without a requestId, the Kafka position names the request: the same every time it is read.
    requestId: parsed.requestId ?? positionRequestId(message),
    requestIdFromPosition: parsed.requestId === null,
    payload: decoded.value,
    parsed,
    keyId: parsed.ok ? parsed.body.keyId : parsed.keyId,
    fingerprint: parsed.ok ? bodyFingerprint(parsed.body) : null,
  };
}

/** The id of a request without requestId: its position, `<topic>:<partition>:<offset>`. */
export function positionRequestId(message: ConsumedMessage): string {
  return `${message.topic}:${message.partition}:${message.offset}`;
}

/**
 * The id of a request without requestId at a position where a different record was recorded
 * before (the topic was deleted and created again): `<topic>:<partition>:<offset>:<16 hex digits
 * of its record fingerprint>`, the same every time this record is read, and not the old one's.
 */
export function reusedPositionRequestId(message: ConsumedMessage): string {
  return `${positionRequestId(message)}:${message.fingerprint.slice(0, 16)}`;
}
