import { DISPLAY_NUMBER, ID_MAX_CHARACTERS, MAX_SEND_WINDOWS, TASK_NAME_MAX, TASK_NAME_MIN } from '../request/resend-request-schema.js';
import { ISO_LOCAL_FORMAT, PROVIDER_FORMAT } from '../request/send-time.js';
import { CLOCK_TIME } from '../request/send-windows.js';
import { DEFAULT_TOPICS } from '../topics.js';
import { JSON_SCHEMA_DIALECT, positiveInteger } from './schema-parts.js';

const clockTime = { type: 'string', pattern: CLOCK_TIME.source } as const;

/**
 * Value of a `campaign.resend.requested` message. parseResendRequest is the authority; this schema
 * says the same except what JSON Schema cannot: real calendar dates, strTime before endTime and
 * windows that do not overlap.
 */
export const resendRequestedJsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: `urn:resend-relay:event:${DEFAULT_TOPICS.requested}`,
  title: DEFAULT_TOPICS.requested,
  description: 'Asks the service to resend an Itniotech AI group-call task. Unknown fields are ignored. See docs/validation.md.',
  type: 'object',
  required: ['keyId', 'taskName', 'resendType', 'scriptId'],
  properties: {
    keyId: { ...positiveInteger, description: 'The task to resend (the jobId of the group-call query). A JSON number, not a string.' },
    taskName: {
      type: 'string',
      // Trimmed, 2 to 64 characters: JavaScript's trim() removes exactly what \s matches.
      pattern: `^\\s*\\S[\\s\\S]{${TASK_NAME_MIN - 2},${TASK_NAME_MAX - 2}}\\S\\s*$`,
      description: 'Name of the new task, 2 to 64 characters after trimming; unique per provider account.',
    },
    resendType: { enum: [0, 1], description: '0 = call all numbers again, 1 = only the failed ones.' },
    scriptId: { ...positiveInteger, description: 'The AI speech template.' },
    displayNum: { type: 'string', pattern: DISPLAY_NUMBER.source, description: 'Caller id shown: up to 20 digits, optional leading +.' },
    sendTime: {
      type: ['string', 'null'],
      pattern: `${PROVIDER_FORMAT.source}|${ISO_LOCAL_FORMAT.source}`,
      description: 'Local time without a zone, "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-ddTHH:mm[:ss[.fraction]]"; null = now.',
    },
    maxCalls: { ...positiveInteger, description: 'Seconds after which a connected call is hung up.' },
    allowSendTime: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_SEND_WINDOWS,
      description: 'Up to 3 windows of the day in which calls may be placed; strTime before endTime, no overlaps.',
      items: {
        type: 'object',
        required: ['strTime', 'endTime'],
        properties: { strTime: clockTime, endTime: clockTime },
      },
    },
    maxRingingTime: { type: 'integer', minimum: 20, maximum: 120, description: 'Seconds; the provider default is 60.' },
    enableRecording: { enum: [0, 1], description: 'The provider default is 0.' },
    calloutRate: { ...positiveInteger, description: 'Outbound call multiplier; the provider default is 1.' },
    requestId: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: ID_MAX_CHARACTERS,
      pattern: '\\S',
      description:
        'Idempotency key of this request; when absent the service uses <topic>:<partition>:<offset> ' +
        '(with :<16 hex digits of the record fingerprint> appended when a recreated topic had used that position before).',
    },
    correlationId: {
      type: ['string', 'null'],
      maxLength: ID_MAX_CHARACTERS,
      description: 'Copied to the outcome event and the ce_correlationid header.',
    },
  },
  additionalProperties: true,
} as const;
