import { describe, expect, it } from 'vitest';
import { findWindowProblems } from './send-windows.js';

const w = (strTime: string, endTime: string) => ({ strTime, endTime });

describe('findWindowProblems', () => {
  it.each([
    ['no windows', []],
    ['one window', [w('10:00', '12:00')]],
    ['touching windows', [w('10:00', '12:00'), w('12:00', '14:00')]],
    ['windows out of order', [w('20:00', '21:00'), w('08:00', '09:00'), w('12:00', '13:00')]],
    ['the first and last minute of the day', [w('00:00', '00:01'), w('23:58', '23:59')]],
  ])('accepts %s', (_case, windows) => {
    expect(findWindowProblems(windows)).toEqual([]);
  });

  it('reports a window that does not end after it starts, on its endTime', () => {
    expect(findWindowProblems([w('12:00', '10:00')])).toEqual([{ path: [0, 'endTime'], message: 'must be later than strTime (12:00)' }]);
  });

  it('reports the later-starting window of an overlapping pair', () => {
    expect(findWindowProblems([w('11:00', '13:00'), w('10:00', '12:00')])).toEqual([
      { path: [0], message: 'overlaps allowSendTime[1] (10:00-12:00)' },
    ]);
  });

  it('catches every window inside one long window, not only the next one', () => {
    const problems = findWindowProblems([w('08:00', '20:00'), w('09:00', '10:00'), w('11:00', '12:00')]);
    expect(problems.map((problem) => problem.path)).toEqual([[1], [2]]);
  });

  it('skips windows with a malformed time (they have their own issue)', () => {
    expect(findWindowProblems([w('24:00', '23:59'), w('ab', '10:00')])).toEqual([]);
  });
});
