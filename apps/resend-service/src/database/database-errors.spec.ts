import { describe, expect, it } from 'vitest';
import { classifyDatabaseError } from './database-errors.js';

describe('classifyDatabaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'outage'],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 'outage'],
    [{ code: '08006' }, 'outage'],
    [{ code: '53300' }, 'outage'],
    [new Error('Connection terminated unexpectedly'), 'outage'],
    [new Error('timeout exceeded when trying to connect'), 'outage'],
    [{ code: '40001' }, 'conflict'],
    [{ code: '40P01' }, 'conflict'],
    [{ driverError: { code: '23505' } }, 'conflict'],
    [{ code: '22P05', message: 'unsupported Unicode escape sequence' }, 'bad_data'],
    [{ driverError: { code: '22021' } }, 'bad_data'],
    [{ code: '54001', message: 'stack depth limit exceeded' }, 'bad_data'],
    [{ code: '42P01', message: 'relation does not exist' }, 'bug'],
    [{ code: 'ERR_INVALID_ARG_TYPE' }, 'bug'],
    [new TypeError('cannot read properties of undefined'), 'bug'],
    [null, 'bug'],
  ])('%j is %s', (error, kind) => {
    expect(classifyDatabaseError(error)).toBe(kind);
  });
});
