import { z } from 'zod';

const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected yyyy-MM-dd HH:mm:ss');
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:mm');
const positiveInteger = z.number().int().min(1);

/**
 * The resend body as the provider's documentation describes it. Stricter than a lenient
 * server might be (numbers must be JSON numbers), so that client mistakes show up here first.
 * Unknown fields are ignored, as JSON servers usually do.
 */
export const resendAiBodySchema = z.object({
  keyId: positiveInteger,
  taskName: z.string().refine((name) => [...name].length >= 2 && [...name].length <= 64, 'taskName must be 2 to 64 characters'),
  resendType: z.union([z.literal(0), z.literal(1)]),
  scriptId: positiveInteger,
  displayNum: z.string().nullish(),
  sendTime: dateTime.nullish(),
  maxCalls: positiveInteger.nullish(),
  allowSendTime: z
    .array(z.object({ strTime: clockTime, endTime: clockTime }))
    .max(3)
    .nullish(),
  maxRingingTime: z.number().int().min(20).max(120).nullish(),
  enableRecording: z.union([z.literal(0), z.literal(1)]).nullish(),
  calloutRate: positiveInteger.nullish(),
});

export type ResendAiBody = z.infer<typeof resendAiBodySchema>;

/** `POST /voice/group/call/query`: `strTime` and `endTime` are required by the provider. */
export const taskQuerySchema = z.object({
  current: positiveInteger,
  size: z.number().int().min(1).max(100),
  params: z.object({
    strTime: dateTime,
    endTime: dateTime,
    searchCondition: z.string().nullish(),
  }),
});

export type TaskQuery = z.infer<typeof taskQuerySchema>;
