import { MAX_REQUEST_BYTES, type DeadLetterReason } from '#contracts';

export type DecodedValue = { ok: true; value: Record<string, unknown> } | { ok: false; reason: DeadLetterReason; message: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How deep a message's JSON may nest. A request needs three levels (allowSendTime's windows), but
 * the whole message is stored as JSON, and serialising it to be stored (JSON.stringify recurses)
 * overflows the stack at a few thousand levels — before PostgreSQL's own limit. That error is
 * no database's refusal, so nothing would dead-letter the message, and retrying it stalls its
 * partition: deeper nesting is refused here, as `unrecordable`.
 */
export const MAX_JSON_NESTING = 1_000;

/** Turns a message value into a JSON object, or says why it cannot be one. Never throws. */
export function decodeMessageValue(value: Buffer | null): DecodedValue {
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'not_json', message: 'the message has no value' };
  }
  if (value.length > MAX_REQUEST_BYTES) {
    return {
      ok: false,
      reason: 'too_large',
      message: `the message value is ${value.length} bytes; the limit is ${MAX_REQUEST_BYTES}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(value));
  } catch (error) {
    return { ok: false, reason: 'not_json', message: `the message value is not UTF-8 JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return { ok: false, reason: 'not_an_object', message: `the message value must be a JSON object, not ${kind}` };
  }
  if (nestsDeeperThan(parsed, MAX_JSON_NESTING)) {
    return {
      ok: false,
      reason: 'unrecordable',
      message: `the message value is JSON nested deeper than ${MAX_JSON_NESTING} levels, the most the service stores`,
    };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

/** Whether objects and arrays nest more than `limit` levels deep in `root` (itself level 1). Without recursion. */
function nestsDeeperThan(root: object, limit: number): boolean {
  const pending: { value: object; depth: number }[] = [{ value: root, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child as object, depth: next.depth + 1 });
    }
  }
  return false;
}
