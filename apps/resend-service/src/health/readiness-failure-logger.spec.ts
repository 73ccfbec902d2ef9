import { describe, expect, it } from 'vitest';
import { readinessFailureFields } from './readiness-failure-logger.js';

describe('readinessFailureFields', () => {
  it("turns Terminus's JSON-in-a-string into fields", () => {
    const details = { kafka: { status: 'down', message: 'Connection error' }, database: { status: 'up' } };
    expect(readinessFailureFields(`Health Check has failed! ${JSON.stringify(details)}`)).toEqual({
      msg: 'readiness check failed',
      failing: details,
    });
  });

  it('keeps any other message as it is', () => {
    expect(readinessFailureFields('something else')).toEqual({ msg: 'something else' });
    expect(readinessFailureFields('Health Check has failed! not json')).toEqual({ msg: 'Health Check has failed! not json' });
  });
});
