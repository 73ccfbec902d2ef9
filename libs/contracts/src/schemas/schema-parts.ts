// Pieces shared by the three event schemas. The limits come from the request rules, so the
// schemas and the parser cannot drift apart.
import { ID_MAX_CHARACTERS, TASK_NAME_MAX, TASK_NAME_MIN } from '../request/resend-request-schema.js';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export const positiveInteger = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export const nullablePositiveInteger = { ...positiveInteger, type: ['integer', 'null'] } as const;

export const dateTime = {
  type: 'string',
  format: 'date-time',
  description: 'ISO 8601 / RFC 3339 with a zone, e.g. 2024-06-03T08:42:05.123Z',
} as const;

export const requestId = {
  type: 'string',
  minLength: 1,
  description:
    "The producer's requestId, or <topic>:<partition>:<offset> of the request message when it had none " +
    '(with :<16 hex digits of the record fingerprint> appended when a recreated topic had used that position before).',
} as const;

/** A task name as the service sends it: already trimmed, 2 to 64 characters. */
export const trimmedTaskName = {
  type: 'string',
  minLength: TASK_NAME_MIN,
  maxLength: TASK_NAME_MAX,
  pattern: '^\\S(?:[\\s\\S]*\\S)?$',
} as const;

export const correlationId = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: ID_MAX_CHARACTERS,
  description: "The producer's correlationId, passed through; null when it sent none.",
} as const;
