import type { AllowSendWindow } from '#itniotech';

export const CLOCK_TIME_MESSAGE = 'must be a time of day "HH:mm" from 00:00 to 23:59';

export const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isClockTime(text: string): boolean {
  return CLOCK_TIME.test(text);
}

/** A problem with one window, addressed relative to the allowSendTime array: [index] or [index, field]. */
export interface WindowProblem {
  path: [number] | [number, keyof AllowSendWindow];
  message: string;
}

/**
 * Checks what a single field cannot: each window ends after it starts, and no two windows overlap.
 * Windows with a malformed time are skipped. Windows that merely touch (10:00-12:00 and 12:00-14:00) do not overlap. Any order is accepted.
 */
export function findWindowProblems(windows: readonly AllowSendWindow[]): WindowProblem[] {
  const problems: WindowProblem[] = [];
  const ordered: { index: number; start: number; end: number }[] = [];
  windows.forEach(({ strTime, endTime }, index) => {
    // A malformed time already has its own issue; comparing it would only add noise.
    if (!isClockTime(strTime) || !isClockTime(endTime)) return;
    const start = minutesOfDay(strTime);
    const end = minutesOfDay(endTime);
    if (start < end) ordered.push({ index, start, end });
    else problems.push({ path: [index, 'endTime'], message: `must be later than strTime (${strTime})` });
  });

  const [first, ...rest] = ordered.sort((a, b) => a.start - b.start);
  if (!first) return problems; // no window with well-formed times: nothing to compare
  // Compare with the window reaching furthest so far, so one long window overlapping several is caught.
  let furthest = first;
  for (const current of rest) {
    if (current.start < furthest.end) {
      const other = windows[furthest.index]!;
      problems.push({
        path: [current.index],
        message: `overlaps allowSendTime[${furthest.index}] (${other.strTime}-${other.endTime})`,
      });
    }
    if (current.end > furthest.end) furthest = current;
  }
  return problems;
}

function minutesOfDay(clockTime: string): number {
  const [hours, minutes] = clockTime.split(':').map(Number);
  return hours! * 60 + minutes!;
}
