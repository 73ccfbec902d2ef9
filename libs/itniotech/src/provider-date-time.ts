/**
 * The provider writes times as `yyyy-MM-dd HH:mm:ss` without a zone. Which zone it means is not
 * documented, so the offset is a parameter (minutes east of UTC; 0 = UTC).
 */
export function formatProviderDateTime(date: Date, utcOffsetMinutes = 0): string {
  const shifted = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  const day = `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
  return `${day} ${time}`;
}
