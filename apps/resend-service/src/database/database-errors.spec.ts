import { describe, expect, it } from 'vitest';
import { blamesTheMessage, classifyDatabaseError } from './database-errors.js';

describe('classifyDatabaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'outage'],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 'outage'],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 'outage'],
    [{ code: '08006' }, 'outage'],
    [{ code: '53300' }, 'outage'],
    [{ code: '58030' }, 'outage'],
    [new Error('Connection terminated unexpectedly'), 'outage'],
    [new Error('Connection terminated due to connection timeout'), 'outage'],
    [new Error('timeout exceeded when trying to connect'), 'outage'],
    [new Error('Query read timeout'), 'outage'],
    [{ code: '40001' }, 'conflict'],
    [{ code: '40P01' }, 'conflict'],
    [{ code: '55P03' }, 'conflict'],
    [{ driverError: { code: '23505' } }, 'conflict'],
    [{ code: '22P05', message: 'unsupported Unicode escape sequence' }, 'bad_data'],
    [{ driverError: { code: '22021' } }, 'bad_data'],
    [{ code: '54001', message: 'stack depth limit exceeded' }, 'bad_data'],
    [{ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }, 'refused'],
    [{ code: '25P03', message: 'terminating connection due to idle-in-transaction timeout' }, 'refused'],
    [{ code: '42501', message: 'permission denied for table resend_request' }, 'refused'],
    [{ code: '42P01', message: 'relation does not exist' }, 'refused'],
    [{ code: '42703', message: 'column does not exist' }, 'refused'],
    [{ code: '23502', message: 'null value in column violates not-null constraint' }, 'refused'],
    [{ code: '23503', message: 'violates foreign key constraint' }, 'refused'],
    [{ code: '23514', message: 'violates check constraint' }, 'refused'],
    [{ code: 'XX000', message: 'internal error' }, 'refused'],
    [{ code: 'XX001', message: 'invalid page in block' }, 'refused'],
    [{ code: '0A000', message: 'feature not supported' }, 'refused'],
    [{ code: 'ERR_INVALID_ARG_TYPE' }, 'bug'],
    [new TypeError('cannot read properties of undefined'), 'bug'],
    [null, 'bug'],
  ])('%j is %s', (error, kind) => {
    expect(classifyDatabaseError(error)).toBe(kind);
  });
});

describe('blamesTheMessage', () => {
  it('only a data exception or a program limit is the data’s fault: everything else is waited out', () => {
    const kinds = ['outage', 'conflict', 'bad_data', 'refused', 'bug'] as const;
    expect(kinds.filter(blamesTheMessage)).toEqual(['bad_data']);
  });
});
