import type { ResendAiRequest } from '#itniotech';
import type { z } from 'zod';
import { describeReceived, positiveInteger } from './field-rules.js';
import { correlationIdRule, requestIdRule, resendRequestSchema, TASK_NAME_MAX } from './resend-request-schema.js';
import { truncateCharacters } from './text-length.js';
import { formatFieldPath, WHOLE_MESSAGE_FIELD, type ValidationIssue } from './validation-issue.js';

export type ParsedResendRequest =
  | { ok: true; body: ResendAiRequest; requestId: string | null; correlationId: string | null }
  | {
      ok: false;
      issues: ValidationIssue[];
      keyId: number | null;
      taskName: string | null;
      requestId: string | null;
      correlationId: string | null;
    };

type RefusedRequest = Extract<ParsedResendRequest, { ok: false }>;

/**
 * Validates a `campaign.resend.requested` message value (already JSON.parse'd) and returns the
 * provider body, or every problem found. Never throws, whatever the input.
 */
export function parseResendRequest(value: unknown): ParsedResendRequest {
  try {
    return parseMessage(value);
  } catch {
    // Zod reports bad data rather than throwing, but a hostile object (a throwing getter) could still throw.
    return refuse({}, [{ field: WHOLE_MESSAGE_FIELD, message: 'could not be read as a resend request' }]);
  }
}

function parseMessage(value: unknown): ParsedResendRequest {
  if (!isJsonObject(value)) {
    return refuse({}, [{ field: WHOLE_MESSAGE_FIELD, message: `must be a JSON object (got ${describeReceived(value)})` }]);
  }
  const result = resendRequestSchema.safeParse(value);
  if (!result.success) return refuse(value, toValidationIssues(result.error.issues));

  const { requestId, correlationId, ...body } = result.data;
  return {
    ok: true,
    body: withoutAbsentFields(body),
    requestId: requestId ?? null,
    correlationId: correlationId || null, // "" carries no correlation, so it is reported as none
  };
}

/** Keeps what can still be reported about a refused request: the ids, when they are usable. */
function refuse(value: Record<string, unknown>, issues: ValidationIssue[]): RefusedRequest {
  return {
    ok: false,
    issues,
    keyId: usableOrNull(positiveInteger(), value.keyId),
    taskName: reportableTaskName(value.taskName),
    requestId: usableOrNull(requestIdRule, value.requestId),
    correlationId: usableOrNull(correlationIdRule, value.correlationId) || null,
  };
}

function toValidationIssues(zodIssues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  // One message per field: a value can break two checks at once (type and range), say it once.
  const byField = new Map<string, string>();
  for (const { path, message } of zodIssues) {
    const field = formatFieldPath(path);
    if (!byField.has(field)) byField.set(field, message);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

function reportableTaskName(taskName: unknown): string | null {
  if (typeof taskName !== 'string') return null;
  // Trim again after cutting: the cut may land on a space.
  return truncateCharacters(taskName.trim(), TASK_NAME_MAX).trimEnd() || null;
}

function usableOrNull<T>(rule: z.ZodType<T>, input: unknown): T | null {
  const result = rule.safeParse(input);
  return result.success ? result.data : null;
}

/** Only a non-JSON caller can pass `{ maxCalls: undefined }`; the provider body must not carry such keys. */
function withoutAbsentFields<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== undefined)) as T;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
