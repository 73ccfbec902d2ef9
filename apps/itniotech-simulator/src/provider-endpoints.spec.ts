import { beforeEach, describe, expect, it } from 'vitest';
import { ProviderEndpoints } from './provider-endpoints.js';
import { RuntimeSettings } from './runtime-settings.js';
import { resolveSimulatorSettings } from './simulator-settings.js';
import { TaskStore } from './task-store.js';

const headers = { apiKey: 'local-api-key', timestamp: '1700000000' };
const validBody = { keyId: 123, taskName: 'spring-sale', resendType: 1, scriptId: 1 };
const wholeDay = { strTime: '2000-01-01 00:00:00', endTime: '2999-12-31 23:59:59' };

describe('ProviderEndpoints', () => {
  let tasks: TaskStore;
  let endpoints: ProviderEndpoints;

  beforeEach(() => {
    tasks = new TaskStore(100_000);
    endpoints = new ProviderEndpoints(new RuntimeSettings(resolveSimulatorSettings({ knownScriptIds: '1-10' })), tasks);
  });

  describe('resendAi', () => {
    it('creates a task with a new id and records what it received', () => {
      expect(endpoints.resendAi(validBody, headers)).toEqual({ status: '0', reason: 'success', data: 100_000 });
      expect(endpoints.resendAi({ ...validBody, taskName: 'other' }, headers)).toMatchObject({ data: 100_001 });
      expect(tasks.get(100_000)).toMatchObject({ keyId: 123, taskName: 'spring-sale', body: validBody, headers, status: 0 });
    });

    it('answers -41 for a name already used', () => {
      endpoints.resendAi(validBody, headers);
      expect(endpoints.resendAi({ ...validBody, keyId: 999 }, headers)).toEqual({ status: '-41', reason: 'Task name already exists' });
    });

    it('with uniqueTaskNames off, creates a second task for a repeated name, and the search lists both', () => {
      const settings = new RuntimeSettings(resolveSimulatorSettings({ uniqueTaskNames: false }));
      endpoints = new ProviderEndpoints(settings, tasks);
      expect(endpoints.resendAi(validBody, headers)).toMatchObject({ status: '0', data: 100_000 });
      expect(endpoints.resendAi(validBody, headers)).toMatchObject({ status: '0', data: 100_001 });
      expect(endpoints.query({ current: 1, size: 20, params: { ...wholeDay, searchCondition: 'spring-sale' } })).toMatchObject({
        data: { total: 2, records: [{ jobId: 100_000 }, { jobId: 100_001 }] },
      });
      // Switched back on at run time: the name is refused again.
      settings.update({ uniqueTaskNames: true });
      expect(endpoints.resendAi(validBody, headers)).toMatchObject({ status: '-41' });
    });

    it('answers -60 for an unknown script', () => {
      expect(endpoints.resendAi({ ...validBody, scriptId: 11 }, headers)).toEqual({
        status: '-60',
        reason: 'The AI speech template does not exist',
      });
    });

    it('accepts every documented optional field', () => {
      const body = {
        ...validBody,
        displayNum: '1008122211',
        sendTime: '2024-06-03 10:42:05',
        maxCalls: 40,
        maxRingingTime: 60,
        enableRecording: 1,
        calloutRate: 1,
        allowSendTime: [{ strTime: '10:00', endTime: '22:00' }],
      };
      expect(endpoints.resendAi(body, headers).status).toBe('0');
      expect(endpoints.resendAi({ ...validBody, taskName: 'now', sendTime: null }, headers).status).toBe('0');
    });

    it.each([
      ['no body', undefined],
      ['keyId as a string', { ...validBody, keyId: '123' }],
      ['missing scriptId', { keyId: 1, taskName: 'ab', resendType: 0 }],
      ['resendType 2', { ...validBody, resendType: 2 }],
      ['a one-character name', { ...validBody, taskName: 'a' }],
      ['a 65-character name', { ...validBody, taskName: 'x'.repeat(65) }],
      ['maxRingingTime 19', { ...validBody, maxRingingTime: 19 }],
      ['maxRingingTime 121', { ...validBody, maxRingingTime: 121 }],
      ['enableRecording 2', { ...validBody, enableRecording: 2 }],
      ['four send windows', { ...validBody, allowSendTime: Array(4).fill({ strTime: '10:00', endTime: '11:00' }) }],
      ['a window in HH:mm:ss', { ...validBody, allowSendTime: [{ strTime: '10:00:00', endTime: '11:00' }] }],
      ['an ISO sendTime', { ...validBody, sendTime: '2024-06-03T10:42:05Z' }],
    ])('answers -22 for %s', (_name, body) => {
      expect(endpoints.resendAi(body, headers)).toEqual({ status: '-22', reason: 'Parameter exception' });
    });
  });

  describe('query', () => {
    it('finds tasks whose name contains the condition, one page at a time', () => {
      for (const name of ['sale-1', 'sale-2', 'sale-3', 'other']) endpoints.resendAi({ ...validBody, taskName: name }, headers);
      const answer = endpoints.query({ current: 2, size: 2, params: { ...wholeDay, searchCondition: 'sale' } });
      expect(answer).toMatchObject({
        status: '0',
        data: { total: 3, current: 2, size: 2, records: [{ jobId: 100_002, taskName: 'sale-3', status: 0 }] },
      });
    });

    it('finds nothing outside the time window', () => {
      endpoints.resendAi(validBody, headers);
      const answer = endpoints.query({ current: 1, size: 20, params: { strTime: '2000-01-01 00:00:00', endTime: '2000-01-02 00:00:00' } });
      expect(answer).toMatchObject({ data: { records: [], total: 0 } });
    });

    it('answers -22 without the required times', () => {
      expect(endpoints.query({ current: 1, size: 20, params: { searchCondition: 'x' } })).toMatchObject({ status: '-22' });
    });
  });

  describe('detail', () => {
    it('answers the task, -24 for an unknown id and -22 for a non-numeric one', () => {
      endpoints.resendAi(validBody, headers);
      expect(endpoints.detail('100000')).toMatchObject({ status: '0', data: { jobId: 100_000, taskName: 'spring-sale' } });
      expect(endpoints.detail('5')).toEqual({ status: '-24', reason: 'Data unexisting' });
      expect(endpoints.detail('abc')).toMatchObject({ status: '-22' });
    });
  });
});
