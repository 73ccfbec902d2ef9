import { z } from 'zod';
import { IdRanges } from './id-ranges.js';

const idRangesText = z.string().superRefine((text, context) => {
  try {
    IdRanges.parse(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Everything that shapes how the simulator answers. */
export const simulatorSettingsSchema = z.strictObject({
  apiKey: z.string().min(1),
  apiSecret: z.string().min(1),
  /** How far (either way) a request's Timestamp may be from our clock before -16. */
  timestampWindowSeconds: z.number().int().min(0),
  /** Script ids that exist, as ranges ("1-1000,5000", "*" for all); others get -60. */
  knownScriptIds: idRangesText,
  /** Client addresses allowed in; empty allows everyone. Others get -2. */
  allowedIps: z.array(z.string().min(1)),
  /** Provider calls per second before -15; 0 means no limit. */
  rateLimitPerSecond: z.number().int().min(0),
  /** Id of the first task created (ids then count up). */
  firstTaskId: z.number().int().min(1),
  /** How many past calls `/__simulator/calls` keeps; older ones are forgotten (counters are not). */
  callHistoryLimit: z.number().int().min(0),
  /** One log line per provider call. */
  logCalls: z.boolean(),
  /**
   * Refuse a resend whose task name an existing task has (-41), as the provider documents. Off, a
   * repeated name creates another task: a test then sees every second call that got through as a
   * second task, instead of a -41 that hides it.
   */
  uniqueTaskNames: z.boolean(),
});

export type SimulatorSettings = z.infer<typeof simulatorSettingsSchema>;

/** Settings that `POST /__simulator/settings` may change while running. */
export const runtimeSettingsSchema = simulatorSettingsSchema
  .pick({
    apiKey: true,
    apiSecret: true,
    timestampWindowSeconds: true,
    knownScriptIds: true,
    allowedIps: true,
    rateLimitPerSecond: true,
    logCalls: true,
    uniqueTaskNames: true,
  })
  .partial();

export type RuntimeSettingsUpdate = z.infer<typeof runtimeSettingsSchema>;

export const DEFAULT_SIMULATOR_SETTINGS: SimulatorSettings = {
  apiKey: 'local-api-key',
  apiSecret: 'local-api-secret',
  timestampWindowSeconds: 300,
  knownScriptIds: '1-1000',
  allowedIps: [],
  rateLimitPerSecond: 0,
  firstTaskId: 100_000,
  callHistoryLimit: 10_000,
  logCalls: true,
  uniqueTaskNames: true,
};

/** Defaults with `overrides` applied; throws naming every invalid setting. */
export function resolveSimulatorSettings(overrides: Partial<SimulatorSettings> = {}): SimulatorSettings {
  const parsed = simulatorSettingsSchema.safeParse({ ...DEFAULT_SIMULATOR_SETTINGS, ...overrides });
  if (!parsed.success) throw new Error(`Invalid simulator settings:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
