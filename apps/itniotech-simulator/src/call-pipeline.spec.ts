import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

function queryCall(taskName: string): ProviderCall {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    path: '/voice/group/call/query',
    endpoint: 'query',
    remoteAddress: '127.0.0.1',
    headers: { apiKey: 'key', timestamp, sign: expectedSign('key', 'secret', timestamp) },
    body: { current: 1, size: 20, params: { strTime: '2000-01-01 00:00:00', endTime: '2999-12-31 23:59:59', searchCondition: taskName } },
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

  describe('a call processed after its client gave up', () => {
    beforeEach(() => {
      // Only the timers: the signature check reads the real clock.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    async function lookup(taskName: string): Promise<unknown> {
      const reply = await simulator.pipeline.handle(queryCall(taskName));
      return reply.kind === 'answer' ? (JSON.parse(reply.body) as { data: { total: number } }).data.total : reply.kind;
    }

    it('answers late and creates the task only when it answers: a lookup while the client waits finds nothing', async () => {
      addFault({ latencyMs: 1500, delayPhase: 'before_processing', times: 1 });
      const reply = simulator.pipeline.handle(resendCall('late'));
      // The client (a 1 s timeout) has given up; its lookup finds no task.
      await vi.advanceTimersByTimeAsync(1000);
      expect(await lookup('late')).toBe(0);
      await vi.advanceTimersByTimeAsync(500);
      expect(await reply).toMatchObject({ kind: 'answer', body: '{"status":"0","reason":"success","data":100000}' });
      expect(await lookup('late')).toBe(1);
    });

    it('drops the connection at once and creates the task processAfterDropMs later: a lookup in between finds nothing', async () => {
      addFault({ drop: 'before_processing', processAfterDropMs: 2000, times: 1 });
      expect(await simulator.pipeline.handle(resendCall('after-drop'))).toMatchObject({ kind: 'drop', phase: 'before_processing' });
      expect(simulator.late.waiting).toBe(1);
      await vi.advanceTimersByTimeAsync(1999);
      expect(await lookup('after-drop')).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(await lookup('after-drop')).toBe(1);
      expect(simulator.late.waiting).toBe(0);
      const [dropped] = simulator.journal.list();
      expect(dropped).toMatchObject({
        taskName: 'after-drop',
        answer: { kind: 'dropped', phase: 'before_processing' },
        processedAfterDrop: { answer: { kind: 'answered', status: '0' } },
      });
      // What the client saw is counted, not what the simulator did later.
      expect(simulator.journal.counters().byStatus).toEqual({ DROPPED_BEFORE_PROCESSING: 1, '0': 2 });
    });

    it('waits latencyMs, drops, then processes later: the client timed out long before the task appears', async () => {
      addFault({ latencyMs: 1500, drop: 'before_processing', processAfterDropMs: 1000, times: 1 });
      const reply = simulator.pipeline.handle(resendCall('slow-drop'));
      await vi.advanceTimersByTimeAsync(1500);
      expect(await reply).toMatchObject({ kind: 'drop' });
      expect(simulator.tasks.hasName('slow-drop')).toBe(false);
      await vi.advanceTimersByTimeAsync(1000);
      expect(simulator.tasks.hasName('slow-drop')).toBe(true);
    });

    it('refuses a late call with -41 when a second call created the task meanwhile', async () => {
      addFault({ drop: 'before_processing', processAfterDropMs: 2000, times: 1 });
      await simulator.pipeline.handle(resendCall('raced'));
      expect(await simulator.pipeline.handle(resendCall('raced'))).toMatchObject({
        body: '{"status":"0","reason":"success","data":100000}',
      });
      await vi.advanceTimersByTimeAsync(2000);
      expect(simulator.journal.list()[0]).toMatchObject({ processedAfterDrop: { answer: { status: '-41' } } });
      expect(simulator.tasks.list()).toHaveLength(1);
    });

    it('with uniqueTaskNames off, the late call and the second call make two tasks', async () => {
      simulator.settings.update({ uniqueTaskNames: false });
      addFault({ drop: 'before_processing', processAfterDropMs: 2000, times: 1 });
      await simulator.pipeline.handle(resendCall('twice'));
      await simulator.pipeline.handle(resendCall('twice'));
      await vi.advanceTimersByTimeAsync(2000);
      expect(simulator.tasks.list().map((task) => task.taskName)).toEqual(['twice', 'twice']);
    });

    it('forgets a dropped call still waiting to be processed on reset: no task appears afterwards', async () => {
      addFault({ drop: 'before_processing', processAfterDropMs: 2000, times: 1 });
      await simulator.pipeline.handle(resendCall('forgotten'));
      simulator.reset();
      await vi.advanceTimersByTimeAsync(2000);
      expect(simulator.tasks.hasName('forgotten')).toBe(false);
      expect(simulator.late.waiting).toBe(0);
    });
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
