import { CLASSIFICATION_TABLE, type Handling } from './classification-table.js';
import type { ProviderCallResult } from './provider-call-result.js';
import { cutText } from './provider-text.js';
import { isSuccessfulHttpStatus } from './resend-ai-response.js';

export interface Classification {
  decision: 'success' | 'retry' | 'final';
  /** Only meaningful for `retry`: `long` for limits that take minutes to clear (-37). */
  retryDelay: 'normal' | 'long';
  /** True when the provider may have created the task although we did not get its answer. */
  outcomeUnknown: boolean;
  /** The provider's code as given ("-42") or ours ("TIMEOUT", "HTTP_503", "BAD_RESPONSE"). */
  errorCode: string;
  /** A sentence for people: the provider's reason where there is one. */
  message: string;
}

/** Code (or HTTP family such as "HTTP_5xx") to handling; replaces the table's line. */
export type ClassificationOverrides = Record<string, Handling>;

export type Classifier = (result: ProviderCallResult) => Classification;

const HANDLINGS: readonly string[] = ['retry', 'retry_long', 'final'];

/** A classifier from the table, with some lines replaced (for example from configuration). */
export function buildClassifier(overrides: ClassificationOverrides = {}): Classifier {
  const handlingByCode = new Map<string, Handling>();
  for (const entry of CLASSIFICATION_TABLE) {
    if (entry.handling !== 'success') handlingByCode.set(entry.code, entry.handling);
  }
  for (const [code, handling] of Object.entries(overrides)) {
    assertValidOverride(code, handling);
    handlingByCode.set(code, handling);
  }
  return (result) => classifyWith(handlingByCode, result);
}

/** The classifier with the table as written. */
export const classify: Classifier = buildClassifier();

/**
 * Reads overrides as configuration gives them: `"-37:retry_long,-24:final"` or the JSON object
 * `{"-37":"retry_long"}`. An empty string means none. Throws on anything it cannot read, so a
 * typo fails at start-up instead of silently changing nothing.
 */
export function parseClassificationOverrides(text: string | undefined): ClassificationOverrides {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return {};
  const pairs = trimmed.startsWith('{') ? pairsFromJson(trimmed) : pairsFromList(trimmed);
  const overrides: ClassificationOverrides = {};
  for (const [code, handling] of pairs) {
    assertValidOverride(code, handling);
    overrides[code] = handling;
  }
  return overrides;
}

function classifyWith(handlingByCode: ReadonlyMap<string, Handling>, result: ProviderCallResult): Classification {
  switch (result.kind) {
    case 'accepted':
      return { decision: 'success', retryDelay: 'normal', outcomeUnknown: false, errorCode: '0', message: result.reason || 'success' };
    case 'rejected':
      return decide(handlingByCode, result.providerStatus, result.reason || describeProviderCode(result.providerStatus), false);
    case 'http_error':
      return classifyHttpError(handlingByCode, result.httpStatus, result.bodyExcerpt);
    case 'transport_error':
      return decide(handlingByCode, result.errorCode, result.message, result.outcomeUnknown);
  }
}

function classifyHttpError(handlingByCode: ReadonlyMap<string, Handling>, httpStatus: number, bodyExcerpt: string): Classification {
  const shown = bodyExcerpt === '' ? 'an empty body' : `"${cutText(bodyExcerpt, 120)}"`;
  if (isSuccessfulHttpStatus(httpStatus)) {
    // The provider processed something but we cannot read what: the task may exist.
    return decide(handlingByCode, 'BAD_RESPONSE', `The provider answered HTTP ${httpStatus} with an unreadable body: ${shown}`, true);
  }
  // A 5xx may come after the provider did its work (a proxy timing out in front of it).
  const outcomeUnknown = httpStatus >= 500;
  return decide(handlingByCode, `HTTP_${httpStatus}`, `The provider answered HTTP ${httpStatus}: ${shown}`, outcomeUnknown);
}

function decide(
  handlingByCode: ReadonlyMap<string, Handling>,
  errorCode: string,
  message: string,
  outcomeUnknown: boolean,
): Classification {
  const handling = handlingByCode.get(errorCode) ?? handlingByCode.get(httpFamilyOf(errorCode)) ?? 'final';
  return {
    decision: handling === 'final' ? 'final' : 'retry',
    retryDelay: handling === 'retry_long' ? 'long' : 'normal',
    outcomeUnknown,
    errorCode,
    message,
  };
}

/** "HTTP_503" belongs to "HTTP_5xx"; other codes belong to no family. */
function httpFamilyOf(errorCode: string): string {
  const match = /^HTTP_(\d)\d\d$/.exec(errorCode);
  return match ? `HTTP_${match[1]}xx` : '';
}

function describeProviderCode(code: string): string {
  const entry = CLASSIFICATION_TABLE.find((candidate) => candidate.code === code);
  return entry ? entry.meaning : `Unknown provider status ${code}`;
}

function pairsFromList(text: string): Array<[string, string]> {
  return text.split(',').map((item) => {
    const separator = item.lastIndexOf(':');
    if (separator <= 0) throw new Error(`Invalid classification override "${item.trim()}": expected CODE:retry|retry_long|final`);
    return [item.slice(0, separator).trim(), item.slice(separator + 1).trim()];
  });
}

function pairsFromJson(text: string): Array<[string, string]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('Invalid classification overrides: not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('Invalid classification overrides: expected a JSON object of code to handling');
  }
  return Object.entries(parsed).map(([code, handling]) => [code, String(handling)]);
}

function assertValidOverride(code: string, handling: string): asserts handling is Handling {
  if (code === '' || code === '0') {
    throw new Error(`Invalid classification override for "${code}": success (0) and empty codes cannot be overridden`);
  }
  if (!HANDLINGS.includes(handling)) {
    throw new Error(`Invalid classification override "${code}:${handling}": handling must be retry, retry_long or final`);
  }
}
