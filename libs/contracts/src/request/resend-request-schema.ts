import { z } from 'zod';
import { boundedText, explain, integerBetween, positiveInteger, trimmedText, zeroOrOne } from './field-rules.js';
import { normaliseSendTime, SEND_TIME_FORMAT_MESSAGE } from './send-time.js';
import { CLOCK_TIME_MESSAGE, findWindowProblems, isClockTime } from './send-windows.js';

export const TASK_NAME_MIN = 2;
export const TASK_NAME_MAX = 64;
export const MAX_SEND_WINDOWS = 3;
export const ID_MAX_CHARACTERS = 200;

export const DISPLAY_NUMBER = /^\+?\d{1,20}$/;
const DISPLAY_NUMBER_MESSAGE = 'must be 1 to 20 digits, optionally after a leading +';

const sendTime = z.string({ error: explain(SEND_TIME_FORMAT_MESSAGE) }).transform((text, context) => {
  const result = normaliseSendTime(text);
  if (result.ok) return result.value;
  context.issues.push({ code: 'custom', message: result.message, input: text });
  return z.NEVER;
});

const clockTime = z.string({ error: explain(CLOCK_TIME_MESSAGE) }).refine(isClockTime, CLOCK_TIME_MESSAGE);

const sendWindow = z.object(
  { strTime: clockTime, endTime: clockTime },
  { error: explain('must be an object {"strTime": "HH:mm", "endTime": "HH:mm"}') },
);

const sendWindows = z
  .array(sendWindow, { error: explain('must be a list of time windows {"strTime": "HH:mm", "endTime": "HH:mm"}') })
  .min(1, 'must hold at least 1 window (leave allowSendTime out to allow calls at any time)')
  .max(MAX_SEND_WINDOWS, { error: (issue) => `must hold at most ${MAX_SEND_WINDOWS} windows (got ${lengthOf(issue.input)})` })
  .superRefine((windows, context) => {
    for (const { path, message } of findWindowProblems(windows)) {
      context.addIssue({ code: 'custom', path, message, input: windows });
    }
  });

export const requestIdRule = boundedText(ID_MAX_CHARACTERS, true);
export const correlationIdRule = boundedText(ID_MAX_CHARACTERS, false);

/**
 * The rules for a `campaign.resend.requested` message value, field by field (docs/validation.md).
 * Unknown fields are dropped; optional fields that are absent stay absent.
 */
export const resendRequestSchema = z.object({
  keyId: positiveInteger(),
  taskName: trimmedText(TASK_NAME_MIN, TASK_NAME_MAX),
  resendType: zeroOrOne(),
  scriptId: positiveInteger(),
  displayNum: z
    .string({ error: explain(DISPLAY_NUMBER_MESSAGE) })
    .regex(DISPLAY_NUMBER, DISPLAY_NUMBER_MESSAGE)
    .optional(),
  sendTime: sendTime.nullable().optional(),
  maxCalls: positiveInteger().optional(),
  allowSendTime: sendWindows.optional(),
  maxRingingTime: integerBetween(20, 120).optional(),
  enableRecording: zeroOrOne().optional(),
  calloutRate: positiveInteger().optional(),
  requestId: requestIdRule.nullable().optional(),
  correlationId: correlationIdRule.nullable().optional(),
});

export type ValidResendRequest = z.output<typeof resendRequestSchema>;

function lengthOf(input: unknown): number | string {
  return Array.isArray(input) ? input.length : '?';
}
