// Lengths count Unicode characters (code points), as JSON Schema's minLength/maxLength do,
// so an emoji is one character and the parser agrees with the published schema.

export function countCharacters(text: string): number {
  let count = 0;
  for (const _character of text) count++;
  return count;
}

/** Cuts after `max` characters without splitting an emoji in half. */
export function truncateCharacters(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  let count = 0;
  for (const character of text) {
    if (count === max) break;
    end += character.length;
    count++;
  }
  return text.slice(0, end);
}
