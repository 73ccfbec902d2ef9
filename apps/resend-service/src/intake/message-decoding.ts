import { MAX_REQUEST_BYTES, type DeadLetterReason } from '#contracts';

export type DecodedValue = { ok: true; value: Record<string, unknown> } | { ok: false; reason: DeadLetterReason; message: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

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
  return { ok: true, value: parsed as Record<string, unknown> };
}
