import { DEFAULT_TOPICS } from '../topics.js';
import { correlationId, dateTime, JSON_SCHEMA_DIALECT, positiveInteger, requestId, trimmedTaskName } from './schema-parts.js';

/** Value of a `campaign.resend.completed` message (ResendCompletedEvent). */
export const resendCompletedJsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: `urn:resend-relay:event:${DEFAULT_TOPICS.completed}`,
  title: DEFAULT_TOPICS.completed,
  description: 'The provider created the new task. Exactly one outcome event (completed or failed) per requestId.',
  type: 'object',
  required: ['requestId', 'keyId', 'taskName', 'newKeyId', 'attempts', 'submittedAt', 'correlationId', 'resolvedByLookup'],
  properties: {
    requestId,
    keyId: { ...positiveInteger, description: 'The task that was resent.' },
    taskName: trimmedTaskName,
    newKeyId: { ...positiveInteger, description: 'The id of the task the provider created.' },
    attempts: {
      type: 'integer',
      minimum: 0,
      description: 'Provider calls made, including the successful one; 0 for a repeat answered from its original (duplicateOf).',
    },
    submittedAt: dateTime,
    correlationId,
    resolvedByLookup: {
      type: 'boolean',
      description: "True when the provider's answer was lost and the new task was found by querying the provider.",
    },
    duplicateOf: {
      type: 'object',
      description:
        'Present when this request repeated an earlier one for the same keyId with the same payload: it was not sent, ' +
        "and the task is the earlier request's. Optional: consumers that do not know it can ignore it.",
      required: ['requestId', 'newKeyId'],
      properties: {
        requestId,
        newKeyId: { ...positiveInteger, description: "The earlier request's new task id (the same as this event's newKeyId)." },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;
