import { z } from 'zod';

const phase = z.enum(['before_processing', 'after_processing']);

const latency = z.union([
  z.number().int().min(0),
  z
    .strictObject({ min: z.number().int().min(0), max: z.number().int().min(0) })
    .refine((range) => range.min <= range.max, 'min must not exceed max'),
]);

/**
 * One fault to inject, as the control API receives it. Effects:
 * - `answer`: answer this provider status instead of processing (nothing is created);
 * - `httpStatus`: answer with this HTTP status (with `answer`: the envelope under that status;
 *   alone: a short text body, like a proxy would);
 * - `body`: answer this raw text (HTTP 200 unless `httpStatus`), e.g. to send garbage;
 * - `drop`: destroy the connection without answering, before or after the task is created;
 * - `processAfterDropMs` (with `drop: 'before_processing'`): process the dropped call this long
 *   after the drop, as a provider that received a request and finishes it after the connection
 *   broke: a lookup soon after the drop finds nothing, the task appears later;
 * - `latencyMs` (fixed or random in {min, max}) and `hold` (wait for POST /__simulator/release):
 *   delay the answer, before or after processing (`delayPhase`, default after: the task exists
 *   while the client waits).
 * A rule applies to the next `times` matching calls (every one if absent).
 */
export const faultRuleSchema = z
  .strictObject({
    match: z.strictObject({ keyId: z.number().int().optional(), taskName: z.string().optional(), path: z.string().optional() }).optional(),
    times: z.number().int().min(1).optional(),
    answer: z
      .strictObject({
        status: z
          .union([z.string(), z.number().int()])
          .transform(String)
          .refine((status) => /^-?\d+$/.test(status) && status !== '0', 'status must be a non-zero integer code'),
        reason: z.string().optional(),
      })
      .optional(),
    httpStatus: z.number().int().min(100).max(599).optional(),
    body: z.string().optional(),
    latencyMs: latency.optional(),
    hold: z.boolean().optional(),
    delayPhase: phase.optional(),
    drop: phase.optional(),
    processAfterDropMs: z.number().int().min(0).optional(),
  })
  .refine(
    (rule) => [rule.answer, rule.body, rule.drop].filter((effect) => effect !== undefined).length <= 1,
    'use at most one of answer, body and drop',
  )
  .refine(
    (rule) => rule.processAfterDropMs === undefined || rule.drop === 'before_processing',
    'processAfterDropMs needs drop: before_processing (a call dropped after processing was processed already)',
  )
  .refine(
    (rule) => [rule.answer, rule.httpStatus, rule.body, rule.drop, rule.latencyMs, rule.hold].some((effect) => effect !== undefined),
    'a rule needs at least one effect: answer, httpStatus, body, drop, latencyMs or hold',
  );

export type FaultRule = z.infer<typeof faultRuleSchema>;
