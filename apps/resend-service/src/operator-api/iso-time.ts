/** Times in API answers: ISO 8601 in UTC, null stays null. */
export function iso(time: Date | null): string | null {
  return time === null ? null : time.toISOString();
}
