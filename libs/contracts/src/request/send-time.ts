import { isRealCalendarDate, isRealClockTime } from '../calendar.js';

export type SendTimeResult = { ok: true; value: string } | { ok: false; message: string };

export const SEND_TIME_FORMAT_MESSAGE = 'must be a local date-time "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-ddTHH:mm:ss", or null for "now"';

// The provider's own format.
export const PROVIDER_FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
// ISO 8601 local date-time as Java's LocalDateTime.toString() writes it: seconds and fraction optional.
export const ISO_LOCAL_FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?$/;
// Recognised only to explain the rejection better than "wrong format".
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Turns an accepted spelling of `sendTime` into the provider's `yyyy-MM-dd HH:mm:ss`.
 * Fractional seconds are dropped (not rounded, so the time never moves to the next second or day).
 */
export function normaliseSendTime(text: string): SendTimeResult {
  const match = PROVIDER_FORMAT.exec(text) ?? ISO_LOCAL_FORMAT.exec(text);
  if (!match) {
    const message = ISO_WITH_ZONE.test(text)
      ? 'must be a local time without a zone: drop the "Z" or offset (the provider reads the time without a zone)'
      : SEND_TIME_FORMAT_MESSAGE;
    return { ok: false, message };
  }
  const [, year, month, day, hour, minute, second = '00'] = match;
  const normalised = `${year}-${month}-${day} ${hour}:${minute}:${second}`;
  const isReal =
    isRealCalendarDate(Number(year), Number(month), Number(day)) && isRealClockTime(Number(hour), Number(minute), Number(second));
  return isReal ? { ok: true, value: normalised } : { ok: false, message: `${normalised} is not a real date and time` };
}
