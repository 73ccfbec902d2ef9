import { describe, expect, it } from 'vitest';
import { isTransientDatabaseError } from './transient-errors.js';

describe('isTransientDatabaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '08006' }],
    [{ code: '40001' }],
    [{ driverError: { code: '23505' } }],
    [new Error('Connection terminated unexpectedly')],
  ])('retries %j', (error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it.each([
    [{ code: '22P05', message: 'unsupported Unicode escape sequence' }],
    [{ driverError: { code: '22021' } }],
    [new Error('something else')],
    [null],
  ])('does not retry %j', (error) => {
    expect(isTransientDatabaseError(error)).toBe(false);
  });
});
