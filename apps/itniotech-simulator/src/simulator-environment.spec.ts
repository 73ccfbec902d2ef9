import { describe, expect, it } from 'vitest';
import { readSimulatorEnvironment } from './simulator-environment.js';
import { DEFAULT_SIMULATOR_SETTINGS } from './simulator-settings.js';

describe('readSimulatorEnvironment', () => {
  it('uses the documented defaults', () => {
    expect(readSimulatorEnvironment({})).toEqual({ port: 8090, host: '127.0.0.1', settings: DEFAULT_SIMULATOR_SETTINGS });
    expect(DEFAULT_SIMULATOR_SETTINGS).toMatchObject({
      apiKey: 'local-api-key',
      apiSecret: 'local-api-secret',
      timestampWindowSeconds: 300,
      knownScriptIds: '1-1000',
      allowedIps: [],
      rateLimitPerSecond: 0,
      uniqueTaskNames: true,
    });
  });

  it('reads every variable', () => {
    const environment = readSimulatorEnvironment({
      SIMULATOR_PORT: '9000',
      SIMULATOR_HOST: '0.0.0.0',
      SIMULATOR_API_KEY: 'k',
      SIMULATOR_API_SECRET: 's',
      SIMULATOR_TIMESTAMP_WINDOW_SECONDS: '60',
      SIMULATOR_KNOWN_SCRIPT_IDS: '5-9',
      SIMULATOR_ALLOWED_IPS: '10.0.0.1, 10.0.0.2',
      SIMULATOR_RATE_LIMIT_PER_SECOND: '50',
      SIMULATOR_FIRST_TASK_ID: '7',
      SIMULATOR_CALL_HISTORY_LIMIT: '0',
      SIMULATOR_LOG_CALLS: 'false',
      SIMULATOR_UNIQUE_TASK_NAMES: 'false',
    });
    expect(environment).toEqual({
      port: 9000,
      host: '0.0.0.0',
      settings: {
        apiKey: 'k',
        apiSecret: 's',
        timestampWindowSeconds: 60,
        knownScriptIds: '5-9',
        allowedIps: ['10.0.0.1', '10.0.0.2'],
        rateLimitPerSecond: 50,
        firstTaskId: 7,
        callHistoryLimit: 0,
        logCalls: false,
        uniqueTaskNames: false,
      },
    });
  });

  it.each([
    ['SIMULATOR_PORT', '70000'],
    ['SIMULATOR_PORT', 'http'],
    ['SIMULATOR_TIMESTAMP_WINDOW_SECONDS', '-5'],
    ['SIMULATOR_RATE_LIMIT_PER_SECOND', '1.5'],
    ['SIMULATOR_KNOWN_SCRIPT_IDS', '10-1'],
    ['SIMULATOR_LOG_CALLS', 'maybe'],
    ['SIMULATOR_UNIQUE_TASK_NAMES', 'no'],
  ])('fails naming %s when it is %j', (name, value) => {
    expect(() => readSimulatorEnvironment({ [name]: value })).toThrow(name);
  });
});
