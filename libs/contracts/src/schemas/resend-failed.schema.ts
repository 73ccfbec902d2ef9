import { ERROR_CATEGORIES } from '../events/outcome-events.js';
import { DEFAULT_TOPICS } from '../topics.js';
import {
  correlationId,
  dateTime,
  JSON_SCHEMA_DIALECT,
  nullablePositiveInteger,
  positiveInteger,
  requestId,
  trimmedTaskName,
} from './schema-parts.js';

const categoryIs = (category: (typeof ERROR_CATEGORIES)[number]) =>
  ({
    required: ['error'],
    properties: { error: { type: 'object', required: ['category'], properties: { category: { const: category } } } },
  }) as const;

/** Value of a `campaign.resend.failed` message (ResendFailedEvent). */
export const resendFailedJsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: `urn:resend-relay:event:${DEFAULT_TOPICS.failed}`,
  title: DEFAULT_TOPICS.failed,
  description: 'The request will not create a task. Exactly one outcome event (completed or failed) per requestId.',
  type: 'object',
  required: ['requestId', 'keyId', 'taskName', 'error', 'attempts', 'failedAt', 'correlationId'],
  properties: {
    requestId,
    keyId: { ...nullablePositiveInteger, description: 'Null only for a validation failure without a usable keyId.' },
    taskName: {
      ...trimmedTaskName,
      type: ['string', 'null'],
      minLength: 1, // a refused request may carry a name that is too short; it is still reported
      description: 'Trimmed and cut to 64 characters; null only for a validation failure without a usable name.',
    },
    error: {
      type: 'object',
      required: ['code', 'message', 'category'],
      properties: {
        code: { type: 'string', minLength: 1, description: 'For provider_rejected, the provider status, e.g. "-41".' },
        message: { type: 'string', minLength: 1 },
        category: { enum: ERROR_CATEGORIES },
      },
      additionalProperties: false,
    },
    attempts: { type: 'integer', minimum: 0, description: 'Provider calls made; 0 when the request was never sent.' },
    failedAt: dateTime,
    correlationId,
    duplicateOf: {
      type: 'object',
      description:
        'The earlier request for the same keyId. With category "duplicate" (always present then): the request that holds ' +
        'the keyId, refused a different payload. With another category: this request repeated that one with the same ' +
        'payload, was not sent, and failed with its result.',
      required: ['requestId', 'newKeyId'],
      properties: {
        requestId,
        newKeyId: { ...nullablePositiveInteger, description: 'Its new task id, or null while it is still in progress.' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
  allOf: [
    // A refused duplicate always names the request holding the keyId; a repeat's mirrored failure names its original.
    { if: categoryIs('duplicate'), then: { required: ['duplicateOf'] } },
    // Only a refused request can lack a keyId or a task name.
    {
      if: categoryIs('validation'),
      else: { properties: { keyId: positiveInteger, taskName: { type: 'string' } } },
    },
  ],
} as const;
