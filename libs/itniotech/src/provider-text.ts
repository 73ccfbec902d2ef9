/**
 * Provider text as PostgreSQL can store it. PostgreSQL refuses a NUL character and a lone UTF-16
 * surrogate in text, json and jsonb; one of them in a provider's reason would get the write of its
 * whole result group refused, and the answer lost. Each becomes U+FFFD (�), once, where the text
 * enters: the body as it is decoded, and every string of the JSON parsed from it.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * JSON.parse whose every string, however deep, is storable. A decoded body holds no raw NUL and
 * no lone surrogate (storableText, and UTF-8 decoding yields none): only a `\u` escape can bring
 * one in, so a body without one is parsed without the reviver (the usual case).
 */
export function parseStorableJson(text: string): unknown {
  if (!text.includes('\\u')) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value));
}

/** The first `maxLength` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair (an emoji). */
export function cutText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const splitsPair = /[\uD800-\uDBFF]/.test(text.charAt(maxLength - 1));
  return text.slice(0, splitsPair ? maxLength - 1 : maxLength);
}
