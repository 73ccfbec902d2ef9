import { IdRanges } from './id-ranges.js';
import { DEFAULT_SIMULATOR_SETTINGS, resolveSimulatorSettings, type SimulatorSettings } from './simulator-settings.js';

export interface SimulatorEnvironment {
  port: number;
  host: string;
  settings: SimulatorSettings;
}

type Environment = Record<string, string | undefined>;

/**
 * Reads the simulator's configuration from environment variables. Throws on the first invalid
 * one, naming it, so a typo stops the start instead of running with a surprise.
 */
export function readSimulatorEnvironment(env: Environment): SimulatorEnvironment {
  const defaults = DEFAULT_SIMULATOR_SETTINGS;
  return {
    port: readInteger(env, 'SIMULATOR_PORT', 8090, 0, 65_535),
    host: readText(env, 'SIMULATOR_HOST', '127.0.0.1'),
    settings: resolveSimulatorSettings({
      apiKey: readText(env, 'SIMULATOR_API_KEY', defaults.apiKey),
      apiSecret: readText(env, 'SIMULATOR_API_SECRET', defaults.apiSecret),
      timestampWindowSeconds: readInteger(env, 'SIMULATOR_TIMESTAMP_WINDOW_SECONDS', defaults.timestampWindowSeconds, 0),
      knownScriptIds: readIdRanges(env, 'SIMULATOR_KNOWN_SCRIPT_IDS', defaults.knownScriptIds),
      allowedIps: readList(env, 'SIMULATOR_ALLOWED_IPS'),
      rateLimitPerSecond: readInteger(env, 'SIMULATOR_RATE_LIMIT_PER_SECOND', defaults.rateLimitPerSecond, 0),
      firstTaskId: readInteger(env, 'SIMULATOR_FIRST_TASK_ID', defaults.firstTaskId, 1),
      callHistoryLimit: readInteger(env, 'SIMULATOR_CALL_HISTORY_LIMIT', defaults.callHistoryLimit, 0),
      logCalls: readBoolean(env, 'SIMULATOR_LOG_CALLS', defaults.logCalls),
      uniqueTaskNames: readBoolean(env, 'SIMULATOR_UNIQUE_TASK_NAMES', defaults.uniqueTaskNames),
    }),
  };
}

function readText(env: Environment, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallback : value;
}

function readInteger(env: Environment, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function readBoolean(env: Environment, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new Error(`${name} must be true or false, got "${text}"`);
}

function readList(env: Environment, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readIdRanges(env: Environment, name: string, fallback: string): string {
  const text = readText(env, name, fallback);
  try {
    IdRanges.parse(text);
  } catch (error) {
    throw new Error(`${name} is invalid: ${(error as Error).message}`);
  }
  return text;
}
