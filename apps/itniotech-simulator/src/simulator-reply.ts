import { STATUS_CODES } from 'node:http';
import type { CallAnswer } from './call-journal.js';
import { failure, type ProviderAnswer } from './provider-statuses.js';
import type { FaultRule } from './fault-rule.js';

export type DropPhase = 'before_processing' | 'after_processing';

/** What the HTTP layer must do with a call: write an answer, or cut the connection. */
export type SimulatorReply =
  | { kind: 'answer'; httpStatus: number; contentType: string; body: string; answer: CallAnswer }
  | { kind: 'drop'; phase: DropPhase; answer: CallAnswer };

/** A provider answer; the provider sends its errors as HTTP 200 too. */
export function envelopeReply(answer: ProviderAnswer, httpStatus = 200): SimulatorReply {
  return {
    kind: 'answer',
    httpStatus,
    contentType: 'application/json;charset=UTF-8',
    body: JSON.stringify(answer),
    answer: { kind: 'answered', httpStatus, status: answer.status, reason: answer.reason },
  };
}

/** A non-provider body, as a proxy or a broken server would send. */
export function textReply(httpStatus: number, body: string): SimulatorReply {
  return { kind: 'answer', httpStatus, contentType: 'text/plain;charset=UTF-8', body, answer: { kind: 'answered', httpStatus } };
}

export function dropReply(phase: DropPhase): SimulatorReply {
  return { kind: 'drop', phase, answer: { kind: 'dropped', phase } };
}

/** The answer a fault rule imposes instead of processing, if it imposes one. */
export function faultReply(rule: FaultRule): SimulatorReply | undefined {
  if (rule.answer !== undefined) return envelopeReply(failure(rule.answer.status, rule.answer.reason), rule.httpStatus ?? 200);
  if (rule.body !== undefined) return textReply(rule.httpStatus ?? 200, rule.body);
  if (rule.httpStatus !== undefined) return textReply(rule.httpStatus, `${rule.httpStatus} ${STATUS_CODES[rule.httpStatus] ?? ''}`.trim());
  return undefined;
}
