import { BadRequestException, StandardSchemaValidationPipe } from '@nestjs/common';
import { z } from 'zod';
import type { RequestStatus } from '../requests/request-status.js';
import { decodeCursor, type CursorKind } from './page-cursor.js';

// Input schemas validate the operator API's parameters (Nest's StandardSchemaValidationPipe) and
// document them in the OpenAPI document (@nestjs/swagger reads the same zod schemas).

const REQUEST_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'duplicate'] as const satisfies readonly RequestStatus[];
export const MAX_PAGE_SIZE = 200;

const limit = z.coerce
  .number({ message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .int({ message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .min(1, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .max(MAX_PAGE_SIZE, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  .default(50)
  .describe('page size');

const cursorOf = (kind: CursorKind) =>
  z
    .string({ message: 'must be the nextCursor of a previous page' })
    .refine((cursor) => decodeCursor(kind, cursor) !== null, { message: 'must be the nextCursor of a previous page' })
    .optional()
    .describe('the nextCursor of the previous page');

export const listRequestsQuery = z.strictObject({
  keyId: z.coerce
    .number({ message: 'must be a positive integer' })
    .int({ message: 'must be a positive integer' })
    .min(1, { message: 'must be a positive integer' })
    .max(Number.MAX_SAFE_INTEGER, { message: 'must be a positive integer' })
    .optional()
    .describe('only requests for this keyId'),
  status: z.enum(REQUEST_STATUSES, { message: `must be one of ${REQUEST_STATUSES.join(', ')}` }).optional(),
  limit,
  cursor: cursorOf('requests'),
});
export type ListRequestsQuery = z.infer<typeof listRequestsQuery>;

export const listDeadLettersQuery = z.strictObject({
  since: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-28T00:00:00Z' })
    .optional()
    .describe('only dead letters received at or after this time'),
  limit,
  cursor: cursorOf('dead-letters'),
});
export type ListDeadLettersQuery = z.infer<typeof listDeadLettersQuery>;

export const requestIdParam = z.strictObject({
  requestId: z
    .string()
    .min(1)
    .max(1000, { message: 'must be at most 1000 characters' })
    // PostgreSQL text cannot hold NUL: such an id cannot exist, and must not reach the query.
    .refine((id) => !id.includes('\u0000'), { message: 'must not contain NUL characters' })
    .describe('the requestId of the message (URL-encoded)'),
});

export const deadLetterIdParam = z.strictObject({
  id: z.uuid({ message: 'must be a UUID' }).describe('the dead letter id'),
});

/** 400 with one message naming each bad parameter, e.g. "limit: must be an integer from 1 to 200". */
export const operatorInputPipe = new StandardSchemaValidationPipe({
  exceptionFactory: (issues) =>
    new BadRequestException(
      issues
        .map((issue) => {
          const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment));
          return path.length > 0 ? `${path.join('.')}: ${issue.message}` : issue.message;
        })
        .join('; '),
    ),
});

// Response shapes, for the OpenAPI document only.

const isoTime = z.iso.datetime({ offset: true });
const nullableTime = isoTime.nullable();

export const requestSummarySchema = z.object({
  requestId: z.string(),
  keyId: z.number().int().nullable(),
  status: z.enum(REQUEST_STATUSES),
  taskName: z.string().nullable(),
  correlationId: z.string().nullable(),
  attempts: z.number().int(),
  providerTaskId: z.number().int().nullable().describe('the new keyId the provider created'),
  errorCode: z.string().nullable(),
  errorCategory: z.string().nullable(),
  receivedAt: isoTime,
  finishedAt: nullableTime,
});

export const requestPageSchema = z.object({
  items: z.array(requestSummarySchema),
  nextCursor: z.string().nullable().describe('pass as cursor for the next (older) page; null on the last page'),
});

export const requestDetailSchema = z.object({
  request: requestSummarySchema.extend({
    errorMessage: z.string().nullable(),
    duplicateOf: z.string().nullable().describe('the requestId this one repeats'),
    resolvedByLookup: z.boolean(),
    payload: z.record(z.string(), z.unknown()).describe('the message value as received'),
    providerBody: z.record(z.string(), z.unknown()).nullable().describe('the body sent to the provider'),
    kafka: z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() }),
    firstAttemptAt: nullableTime,
    traceParent: z
      .string()
      .nullable()
      .describe(
        'W3C traceparent of the span that recorded it (its trace id finds the request in the tracing backend); null without tracing and without one on the message',
      ),
  }),
  state: z.object({
    status: z.enum(REQUEST_STATUSES),
    nextAttemptAt: nullableTime.describe('when a pending request is tried next'),
    leaseOwner: z.string().nullable().describe('the instance working on it'),
    leaseExpiresAt: nullableTime,
    outcomeUnknown: z.boolean().describe('a provider call may have created the task: it is looked up before any new call'),
    outcomePublished: z.boolean().nullable().describe('every outcome event is on Kafka; null while there is none'),
  }),
  attempts: z.array(
    z.object({
      attemptNumber: z.number().int(),
      kind: z.enum(['submit', 'lookup']),
      outcome: z.string(),
      startedAt: isoTime,
      finishedAt: nullableTime,
      httpStatus: z.number().int().nullable(),
      providerStatus: z.string().nullable(),
      providerReason: z.string().nullable(),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
      latencyMs: z.number().int().nullable(),
      requestBody: z.unknown().describe('the body sent (never the Sign or the secret)'),
    }),
  ),
  outcomeEvents: z.array(
    z.object({
      id: z.string().describe('the outbox row id, which is the CloudEvents ce_id'),
      topic: z.string(),
      createdAt: isoTime,
      publishedAt: nullableTime,
      refusedAt: nullableTime.describe('Kafka refused the message for good'),
    }),
  ),
});

const deadLetterFields = {
  id: z.uuid(),
  kafka: z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() }),
  reason: z.string(),
  errorMessage: z.string(),
  receivedAt: isoTime,
  keySize: z.number().int().nullable(),
  valueSize: z.number().int().nullable().describe('null for a tombstone'),
  replayedAt: nullableTime,
  replayedBy: z.string().nullable().describe('fingerprint of the operator token that replayed it'),
  replayEventId: z.uuid().nullable().describe('the outbox row that republishes it'),
};

export const deadLetterPageSchema = z.object({
  items: z.array(z.object(deadLetterFields)),
  nextCursor: z.string().nullable(),
});

export const deadLetterDetailSchema = z.object({
  ...deadLetterFields,
  keyBase64: z.string().nullable(),
  valueBase64: z.string().nullable(),
  valueText: z.string().nullable().describe('the value as UTF-8 text, when it is valid UTF-8'),
  headers: z.record(z.string(), z.string()),
});

export const replayResultSchema = z.object({
  deadLetterId: z.uuid(),
  topic: z.string().describe('where it is republished: the topic it was consumed from'),
  outboxEventId: z.uuid(),
  replayedAt: isoTime,
  replayedBy: z.string(),
});

export const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
});

export const alreadyReplayedSchema = errorSchema.extend({ replayedAt: isoTime });
