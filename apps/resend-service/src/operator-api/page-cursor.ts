/**
 * Opaque paging cursors: the id of the last row of a page, base64url-encoded with the kind of
 * list it belongs to. The next page is the rows older than that row (by received_at, then id),
 * so rows arriving meanwhile never shift a page.
 */
export type CursorKind = 'requests' | 'dead-letters';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(kind: CursorKind, lastRowId: string): string {
  return Buffer.from(`${kind}:${lastRowId}`, 'utf8').toString('base64url');
}

/** The row id a cursor points after, or null when it is not a cursor of this list. */
export function decodeCursor(kind: CursorKind, cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  if (!text.startsWith(prefix)) return null;
  const id = text.slice(prefix.length);
  return UUID.test(id) ? id : null;
}
