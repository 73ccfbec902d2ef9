import { beforeEach, describe, expect, it } from 'vitest';
import type { ProviderCall } from './call-pipeline.js';
import type { FaultRule } from './fault-rule.js';
import { expectedSign } from './signature-check.js';
import { resolveSimulatorSettings } from './simulator-settings.js';
import { Simulator } from './simulator.js';

function resendCall(taskName: string): ProviderCall {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    path: '/voice/group/call/resend/ai',
    endpoint: 'resend_ai',
    remoteAddress: '127.0.0.1',
    headers: { apiKey: 'key', timestamp, sign: expectedSign('key', 'secret', timestamp) },
    body: { keyId: 1, taskName, resendType: 1, scriptId: 1 },
  };
}

describe('CallPipeline', () => {
  let simulator: Simulator;

  beforeEach(() => {
    simulator = new Simulator(resolveSimulatorSettings({ apiKey: 'key', apiSecret: 'secret', logCalls: false }));
  });

  function addFault(rule: FaultRule): void {
    simulator.faults.add(rule);
  }

  it('answers and records a normal call', async () => {
    const reply = await simulator.pipeline.handle(resendCall('normal'));
    expect(reply).toMatchObject({ kind: 'answer', httpStatus: 200, body: '{"status":"0","reason":"success","data":100000}' });
    expect(simulator.journal.list()).toMatchObject([
      { seq: 1, taskName: 'normal', signatureValid: true, answer: { kind: 'answered', status: '0' } },
    ]);
  });

  it('drops before processing: no answer and no task', async () => {
    addFault({ drop: 'before_processing' });
    expect(await simulator.pipeline.handle(resendCall('lost'))).toMatchObject({ kind: 'drop', phase: 'before_processing' });
    expect(simulator.tasks.hasName('lost')).toBe(false);
  });

  it('drops after processing: no answer but the task exists', async () => {
    addFault({ drop: 'after_processing' });
    expect(await simulator.pipeline.handle(resendCall('created'))).toMatchObject({ kind: 'drop', phase: 'after_processing' });
    expect(simulator.tasks.hasName('created')).toBe(true);
  });

  it('answers a fault status instead of processing', async () => {
    addFault({ answer: { status: '-18' } });
    const reply = await simulator.pipeline.handle(resendCall('faulted'));
    expect(reply).toMatchObject({ httpStatus: 200, body: '{"status":"-18","reason":"Port program unusual"}' });
    expect(simulator.tasks.hasName('faulted')).toBe(false);
  });

  it('answers an HTTP error as plain text', async () => {
    addFault({ httpStatus: 503, times: 1 });
    expect(await simulator.pipeline.handle(resendCall('first'))).toMatchObject({ httpStatus: 503, body: '503 Service Unavailable' });
    expect(await simulator.pipeline.handle(resendCall('second'))).toMatchObject({ httpStatus: 200 });
    expect(simulator.journal.counters()).toEqual({ total: 2, pending: 0, byStatus: { HTTP_503: 1, '0': 1 } });
  });

  it('holds a call until released; by default the task is created before the hold', async () => {
    addFault({ hold: true });
    const reply = simulator.pipeline.handle(resendCall('held'));
    expect(simulator.held.list()).toMatchObject([{ seq: 1, taskName: 'held' }]);
    expect(simulator.tasks.hasName('held')).toBe(true);
    expect(simulator.journal.counters().pending).toBe(1);
    expect(simulator.held.releaseAll()).toBe(1);
    expect(await reply).toMatchObject({ kind: 'answer', httpStatus: 200 });
  });

  it('holds before processing when asked, creating the task only on release', async () => {
    addFault({ hold: true, delayPhase: 'before_processing' });
    const reply = simulator.pipeline.handle(resendCall('later'));
    expect(simulator.tasks.hasName('later')).toBe(false);
    simulator.held.releaseAll();
    await reply;
    expect(simulator.tasks.hasName('later')).toBe(true);
  });

  it('forgets everything on reset', async () => {
    addFault({ httpStatus: 500, match: { taskName: 'never' } });
    await simulator.pipeline.handle(resendCall('kept'));
    simulator.settings.update({ timestampWindowSeconds: 1 });
    simulator.reset();
    expect(simulator.tasks.list()).toEqual([]);
    expect(simulator.faults.list()).toEqual([]);
    expect(simulator.journal.counters()).toEqual({ total: 0, pending: 0, byStatus: {} });
    expect(simulator.settings.value.timestampWindowSeconds).toBe(300);
    expect(await simulator.pipeline.handle(resendCall('kept'))).toMatchObject({ body: '{"status":"0","reason":"success","data":100000}' });
  });
});
