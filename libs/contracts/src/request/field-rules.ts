import { z } from 'zod';
import { countCharacters } from './text-length.js';

// Building blocks for the request schema. Every message is written for the person who sent
// the request; zod's own defaults ("Invalid input: expected number") are never shown.

export const REQUIRED_MESSAGE = 'is required';

/** An error callback: "is required" when the field is missing, else the rule plus what arrived. */
export function explain(rule: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? REQUIRED_MESSAGE : `${rule} (got ${describeReceived(issue.input)})`;
}

/** Names what arrived without echoing long text back. */
export function describeReceived(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (typeof input === 'string') return /^[+-]?\d{1,20}(\.\d{1,20})?$/.test(input) ? `the string "${input}"` : 'a string';
  return typeof input === 'object' ? 'an object' : typeof input;
}

/** A safe integer from min to max. Numeric strings ("123") are refused: the provider's type is Integer. */
export function integerFrom(min: number, max: number, rule: string) {
  const error = explain(rule);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function positiveInteger() {
  return integerFrom(1, Number.MAX_SAFE_INTEGER, 'must be a positive integer');
}

export function integerBetween(min: number, max: number) {
  return integerFrom(min, max, `must be an integer from ${min} to ${max}`);
}

export function zeroOrOne() {
  return z.literal([0, 1], { error: explain('must be 0 or 1') });
}

/** Trimmed text of min to max characters; the trimmed value is what the parser returns. */
export function trimmedText(min: number, max: number) {
  const rule = `must be ${min} to ${max} characters after trimming spaces`;
  return z
    .string({ error: explain(rule) })
    .trim()
    .refine((text) => isLengthBetween(text, min, max), {
      error: (issue) => `${rule} (got ${countCharacters(String(issue.input))})`,
    });
}

/** Text of at most max characters; when mustHaveContent, blank text is refused too. */
export function boundedText(max: number, mustHaveContent: boolean) {
  const rule = mustHaveContent
    ? `must be a non-blank string of at most ${max} characters`
    : `must be a string of at most ${max} characters`;
  return z
    .string({ error: explain(rule) })
    .refine((text) => countCharacters(text) <= max && (!mustHaveContent || text.trim() !== ''), rule);
}

function isLengthBetween(text: string, min: number, max: number): boolean {
  const length = countCharacters(text);
  return length >= min && length <= max;
}
