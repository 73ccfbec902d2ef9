import { isRealCalendarDate, isRealClockTime } from './calendar.js';

// RFC 3339 date-time, the form Date.prototype.toISOString() writes: a zone (Z or ±hh:mm) is required.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** True for a real instant such as 2024-06-03T08:42:05.123Z; Date.parse alone would accept 2024-02-30. */
export function isIsoDateTime(text: string): boolean {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, , zone, zoneHours = '0', zoneMinutes = '0'] = match;
  return (
    isRealCalendarDate(Number(year), Number(month), Number(day)) &&
    isRealClockTime(Number(hour), Number(minute), Number(second)) &&
    (zone === 'Z' || isRealClockTime(Number(zoneHours), Number(zoneMinutes)))
  );
}
