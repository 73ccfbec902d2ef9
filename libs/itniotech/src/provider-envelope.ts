import { parseStorableJson } from './provider-text.js';

/**
 * The JSON wrapper around every provider answer. The documented form is
 * `{"status":"0","reason":"success","data":...}`, but other pages of the same API answer
 * `{"code":0,"msg":"..."}`, with the code as a number or a string.
 */
export interface ProviderEnvelope {
  /** The status code as a string, so "-41" and -41 compare equal. */
  status: string;
  /** The provider's explanation; empty when it gave none. */
  reason: string;
  data: unknown;
}

/** Reads a provider answer; `undefined` when the body is not a recognisable envelope. Every string in it is storable (provider-text.ts). */
export function parseProviderEnvelope(bodyText: string): ProviderEnvelope | undefined {
  const json = parseJson(bodyText);
  if (!isPlainObject(json)) return undefined;
  const status = readCode(json['status']) ?? readCode(json['code']);
  if (status === undefined) return undefined;
  const reason = readText(json['reason']) ?? readText(json['msg']) ?? '';
  return { status, reason, data: json['data'] };
}

function parseJson(text: string): unknown {
  try {
    return parseStorableJson(text);
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readCode(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  // Kept as given (only trimmed): "-41" and -41 must compare equal, nothing more.
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return value.trim();
  return undefined;
}

function readText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The provider's ids are integers, sent as JSON numbers or, sometimes, numeric strings. */
export function readProviderId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) {
    const id = Number(value.trim());
    return Number.isSafeInteger(id) ? id : undefined;
  }
  return undefined;
}
