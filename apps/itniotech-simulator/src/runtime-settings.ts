import { IdRanges } from './id-ranges.js';
import { simulatorSettingsSchema, type RuntimeSettingsUpdate, type SimulatorSettings } from './simulator-settings.js';

/** The settings in force now: the start-up ones, changed at run time by the control API. */
export class RuntimeSettings {
  private current: SimulatorSettings;
  private scriptIds: IdRanges;

  constructor(private readonly initial: SimulatorSettings) {
    this.current = initial;
    this.scriptIds = IdRanges.parse(initial.knownScriptIds);
  }

  get value(): SimulatorSettings {
    return this.current;
  }

  get knownScriptIds(): IdRanges {
    return this.scriptIds;
  }

  /** Throws (zod) if the result would be invalid, leaving the settings unchanged. */
  update(changes: RuntimeSettingsUpdate): void {
    const next = simulatorSettingsSchema.parse({ ...this.current, ...changes });
    this.scriptIds = IdRanges.parse(next.knownScriptIds);
    this.current = next;
  }

  reset(): void {
    this.current = this.initial;
    this.scriptIds = IdRanges.parse(this.initial.knownScriptIds);
  }

  /** What the control API shows: everything but the secret. */
  describe(): Omit<SimulatorSettings, 'apiSecret'> {
    const { apiSecret: _secret, ...visible } = this.current;
    return visible;
  }
}
