import { isIsoDateTime } from '../iso-date-time.js';

// Outcome events use the CloudEvents Kafka protocol binding in binary mode: the event data is
// the message value and each context attribute is a `ce_` header.

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
} as const;

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
}

export function buildCloudEventHeaders(attributes: CloudEventAttributes): Record<string, string> {
  const { id, type, source, time, subject, correlationId } = attributes;
  const headers: Record<string, string> = {
    [CLOUD_EVENT_HEADERS.specVersion]: CLOUD_EVENTS_SPEC_VERSION,
    [CLOUD_EVENT_HEADERS.id]: id,
    [CLOUD_EVENT_HEADERS.type]: type,
    [CLOUD_EVENT_HEADERS.source]: source || DEFAULT_CLOUD_EVENT_SOURCE,
    [CLOUD_EVENT_HEADERS.time]: time,
    [CLOUD_EVENT_HEADERS.contentType]: EVENT_CONTENT_TYPE,
  };
  if (subject !== undefined && subject !== null && subject !== '') {
    headers[CLOUD_EVENT_HEADERS.subject] = String(subject);
  }
  if (correlationId) headers[CLOUD_EVENT_HEADERS.correlationId] = correlationId;
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

function headerText(value: KafkaHeaderValue): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : single.toString();
}
