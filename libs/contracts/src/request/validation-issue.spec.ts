import { describe, expect, it } from 'vitest';
import { describeIssues, formatFieldPath } from './validation-issue.js';

describe('describeIssues', () => {
  it('joins issues as "field: message" separated by semicolons', () => {
    const issues = [
      { field: 'keyId', message: 'must be a positive integer' },
      { field: 'taskName', message: 'must be 2 to 64 characters' },
    ];
    expect(describeIssues(issues)).toBe('keyId: must be a positive integer; taskName: must be 2 to 64 characters');
  });

  it('is empty for no issues', () => {
    expect(describeIssues([])).toBe('');
  });
});

describe('formatFieldPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], '(message)'],
    [['keyId'], 'keyId'],
    [['allowSendTime', 1], 'allowSendTime[1]'],
    [['allowSendTime', 1, 'endTime'], 'allowSendTime[1].endTime'],
  ])('writes %j as %s', (path, expected) => {
    expect(formatFieldPath(path)).toBe(expected);
  });
});
