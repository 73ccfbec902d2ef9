import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './page-cursor.js';

const id = '0b6f3c1e-7d1a-4c55-9a57-7f0c2d1e4b11';

describe('page cursors', () => {
  it('round-trip the last row id of their own list only', () => {
    const cursor = encodeCursor('requests', id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('requests', cursor)).toBe(id);
    expect(decodeCursor('dead-letters', cursor)).toBeNull();
  });

  it.each(['', 'not a cursor', '!!!', Buffer.from('requests:not-a-uuid').toString('base64url'), 'x'.repeat(500)])(
    'refuses %j',
    (cursor) => {
      expect(decodeCursor('requests', cursor)).toBeNull();
    },
  );
});
