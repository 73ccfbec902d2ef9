import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { isIsoDateTime } from '../iso-date-time.js';

// Outcome events use the CloudEvents Kafka protocol binding in binary mode: the event data is
// the message value and each context attribute is a `ce_` header. The headers are read with the
// CloudEvents SDK (`cloudevents`, its Kafka binding), and written the way it writes them.

export const CLOUD_EVENTS_SPEC_VERSION = '1.0';
export const DEFAULT_CLOUD_EVENT_SOURCE = '/resend-relay';
export const EVENT_CONTENT_TYPE = 'application/json';

export const CLOUD_EVENT_HEADERS = {
  specVersion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  correlationId: 'ce_correlationid',
  contentType: 'content-type',
  /** The CloudEvents distributed-tracing extension: the W3C trace context of the event. */
  traceParent: 'ce_traceparent',
  traceState: 'ce_tracestate',
} as const;

/** The W3C Trace Context headers, also on every outcome event whose request has a trace context. */
export const TRACE_CONTEXT_HEADERS = { traceParent: 'traceparent', traceState: 'tracestate' } as const;

/** Present on every outcome event; ce_subject and ce_correlationid only when known. */
export const REQUIRED_CLOUD_EVENT_HEADERS = [
  CLOUD_EVENT_HEADERS.specVersion,
  CLOUD_EVENT_HEADERS.id,
  CLOUD_EVENT_HEADERS.type,
  CLOUD_EVENT_HEADERS.source,
  CLOUD_EVENT_HEADERS.time,
  CLOUD_EVENT_HEADERS.contentType,
] as const;

export interface CloudEventAttributes {
  /** The outbox row id: stable when the same event is published again, so consumers dedupe on it. */
  id: string;
  /** The topic the event is published to. */
  type: string;
  /** Defaults to DEFAULT_CLOUD_EVENT_SOURCE. */
  source?: string;
  /** ISO 8601 with a zone. */
  time: string;
  /** The keyId as text; left out when unknown. */
  subject?: string | number | null;
  correlationId?: string | null;
  /**
   * The W3C `traceparent` the event continues (already validated: the caller writes what its
   * tracer produced). Written twice: as the CloudEvents extension `ce_traceparent` and as the
   * plain `traceparent` header that tracers read from Kafka messages. Left out when unknown.
   */
  traceParent?: string | null;
  /** The W3C `tracestate` that goes with it (`ce_tracestate` and `tracestate`); only with a traceParent. */
  traceState?: string | null;
}

/**
 * The headers of an outcome event, as the CloudEvents SDK's Kafka binding writes them in binary
 * mode (the spec test holds this to the SDK's own output), less what that binding writes beyond the
 * spec (attributes without a value, and `ce_datacontenttype`, which the binding maps to
 * `content-type` alone), plus the W3C trace context headers.
 *
 * Written here rather than through the SDK because this runs once per outcome event: the SDK
 * validates and copies the whole event to build its headers, work the outcome path does not need.
 * Reading events back (readCloudEvent) still goes through the SDK.
 */
export function buildCloudEventHeaders(attributes: CloudEventAttributes): Record<string, string> {
  const { id, type, source, time, subject, correlationId, traceParent, traceState } = attributes;
  const headers: Record<string, string> = {
    [CLOUD_EVENT_HEADERS.contentType]: EVENT_CONTENT_TYPE,
    [CLOUD_EVENT_HEADERS.id]: id,
    [CLOUD_EVENT_HEADERS.time]: time,
    [CLOUD_EVENT_HEADERS.type]: type,
    [CLOUD_EVENT_HEADERS.source]: source || DEFAULT_CLOUD_EVENT_SOURCE,
    [CLOUD_EVENT_HEADERS.specVersion]: CLOUD_EVENTS_SPEC_VERSION,
  };
  if (subject !== undefined && subject !== null && subject !== '') headers[CLOUD_EVENT_HEADERS.subject] = String(subject);
  if (correlationId) headers[CLOUD_EVENT_HEADERS.correlationId] = correlationId;
  if (traceParent) {
    headers[CLOUD_EVENT_HEADERS.traceParent] = traceParent;
    if (traceState) headers[CLOUD_EVENT_HEADERS.traceState] = traceState;
    headers[TRACE_CONTEXT_HEADERS.traceParent] = traceParent;
    if (traceState) headers[TRACE_CONTEXT_HEADERS.traceState] = traceState;
  }
  return headers;
}

/** Kafka header values as kafkajs delivers them. */
export type KafkaHeaderValue = string | Buffer | (string | Buffer)[] | undefined;

/**
 * Problems with the CloudEvents headers of a consumed outcome event; [] when they are fine.
 * Meant for tests and for consumers that want to check what they receive.
 */
export function validateCloudEventHeaders(headers: Record<string, KafkaHeaderValue>): string[] {
  const text = (name: string): string | undefined => headerText(headers[name]);
  const problems = REQUIRED_CLOUD_EVENT_HEADERS.filter((name) => !text(name)).map((name) => `${name} is missing`);
  const specVersion = text(CLOUD_EVENT_HEADERS.specVersion);
  if (specVersion && specVersion !== CLOUD_EVENTS_SPEC_VERSION) {
    problems.push(`${CLOUD_EVENT_HEADERS.specVersion} must be "${CLOUD_EVENTS_SPEC_VERSION}"`);
  }
  const contentType = text(CLOUD_EVENT_HEADERS.contentType);
  if (contentType && contentType !== EVENT_CONTENT_TYPE) {
    problems.push(`${CLOUD_EVENT_HEADERS.contentType} must be "${EVENT_CONTENT_TYPE}"`);
  }
  const time = text(CLOUD_EVENT_HEADERS.time);
  if (time && !isIsoDateTime(time)) problems.push(`${CLOUD_EVENT_HEADERS.time} must be an ISO 8601 date-time with a zone`);
  return problems;
}

/**
 * A consumed outcome event as a CloudEvent (the SDK's Kafka binding): its attributes, with the
 * extensions `correlationid`, `traceparent` and `tracestate` when present, and the parsed data.
 * Throws the SDK's ValidationError when the message is not a binary-mode CloudEvent.
 */
export function readCloudEvent(message: {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, KafkaHeaderValue>;
}): CloudEvent<unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const text = headerText(value);
    if (text !== undefined) headers[name] = text;
  }
  const value = message.value === null ? null : message.value.toString();
  const kafkaMessage: KafkaMessage<string | null> = {
    // No key: the event has no partitionkey (the SDK's type wants one).
    key: message.key?.toString() as string,
    value,
    body: value,
    headers,
  };
  return Kafka.toEvent(kafkaMessage) as CloudEvent<unknown>;
}

function headerText(value: KafkaHeaderValue): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : single.toString();
}
