import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { answerLabel, type CallJournal, type CallRecord } from './call-journal.js';
import type { FaultRule } from './fault-rule.js';
import type { CallFacts, FaultRules } from './fault-rules.js';
import type { HeldCalls } from './held-calls.js';
import type { LateCalls } from './late-calls.js';
import type { ProviderEndpoints } from './provider-endpoints.js';
import type { ProviderGate } from './provider-gate.js';
import type { RuntimeSettings } from './runtime-settings.js';
import { isSignatureValid, type AuthHeaders } from './signature-check.js';
import { dropReply, envelopeReply, faultReply, type SimulatorReply } from './simulator-reply.js';

/** A provider call as the HTTP layer hands it over. */
export interface ProviderCall {
  method: string;
  path: string;
  endpoint: 'resend_ai' | 'query' | 'detail';
  /** The `{id}` of the detail path. */
  detailId?: string;
  remoteAddress: string;
  headers: AuthHeaders;
  body: unknown;
}

export interface PipelineParts {
  settings: RuntimeSettings;
  gate: ProviderGate;
  endpoints: ProviderEndpoints;
  faults: FaultRules;
  held: HeldCalls;
  late: LateCalls;
  journal: CallJournal;
}

/**
 * The life of one provider call: record it, find a fault rule, apply the rule's delay and
 * answer or drop, otherwise let the gate and the endpoint answer; then record and log the answer.
 */
export class CallPipeline {
  private readonly logger = new Logger('ItniotechSimulator');

  constructor(private readonly parts: PipelineParts) {}

  async handle(call: ProviderCall): Promise<SimulatorReply> {
    const startedAt = performance.now();
    const facts = factsOf(call);
    const record = this.parts.journal.begin({
      method: call.method,
      path: call.path,
      remoteAddress: call.remoteAddress,
      apiKey: call.headers.apiKey,
      timestamp: call.headers.timestamp,
      signatureValid: isSignatureValid(call.headers, this.parts.settings.value),
      keyId: facts.keyId,
      taskName: facts.taskName,
      body: call.body,
    });
    const fault = this.parts.faults.take(facts);
    record.faultRuleId = fault?.id ?? null;

    const reply = await this.respond(call, record, fault?.rule);

    const latencyMs = Math.round(performance.now() - startedAt);
    this.parts.journal.finish(record, reply.answer, latencyMs);
    this.log(call, facts, reply, latencyMs);
    return reply;
  }

  private async respond(call: ProviderCall, record: CallRecord, rule: FaultRule | undefined): Promise<SimulatorReply> {
    // Dropping before processing must wait first, or the delay would never happen.
    const delayFirst = rule?.delayPhase === 'before_processing' || rule?.drop === 'before_processing';
    if (delayFirst) await this.delay(rule, record);
    if (rule?.drop === 'before_processing') {
      if (rule.processAfterDropMs !== undefined) this.processAfterDrop(call, record, rule.processAfterDropMs);
      return dropReply('before_processing');
    }

    const reply = (rule && faultReply(rule)) ?? this.process(call);

    if (!delayFirst) await this.delay(rule, record);
    if (rule?.drop === 'after_processing') return dropReply('after_processing');
    return reply;
  }

  /** What the provider itself would answer. */
  private process(call: ProviderCall): SimulatorReply {
    const refusal = this.parts.gate.check(call, Date.now());
    if (refusal !== undefined) return envelopeReply(refusal);
    switch (call.endpoint) {
      case 'resend_ai':
        // The gate has checked both headers are present.
        return envelopeReply(
          this.parts.endpoints.resendAi(call.body, { apiKey: call.headers.apiKey ?? '', timestamp: call.headers.timestamp ?? '' }),
        );
      case 'query':
        return envelopeReply(this.parts.endpoints.query(call.body));
      case 'detail':
        return envelopeReply(this.parts.endpoints.detail(call.detailId ?? ''));
    }
  }

  /** A dropped call processed later: the task (or the refusal) comes after the client saw the connection break. */
  private processAfterDrop(call: ProviderCall, record: CallRecord, delayMs: number): void {
    this.parts.late.schedule(delayMs, () => {
      const reply = this.process(call);
      record.processedAfterDrop = { at: new Date().toISOString(), answer: reply.answer };
      if (this.parts.settings.value.logCalls) {
        this.logger.log(
          `${call.method} ${call.path} seq=${record.seq} processed ${delayMs} ms after the drop: ${answerLabel(reply.answer)}`,
        );
      }
    });
  }

  private async delay(rule: FaultRule | undefined, record: CallRecord): Promise<void> {
    if (rule?.latencyMs !== undefined) await sleep(pickLatency(rule.latencyMs));
    if (rule?.hold === true) await this.parts.held.hold({ seq: record.seq, path: record.path, taskName: record.taskName });
  }

  private log(call: ProviderCall, facts: CallFacts, reply: SimulatorReply, latencyMs: number): void {
    if (!this.parts.settings.value.logCalls) return;
    // Never the Sign or the secret: only what identifies the call and its answer.
    const identity = [
      facts.keyId === undefined ? '' : ` keyId=${JSON.stringify(facts.keyId)}`,
      facts.taskName === undefined ? '' : ` taskName=${JSON.stringify(facts.taskName)}`,
    ].join('');
    this.logger.log(`${call.method} ${call.path}${identity} answer=${answerLabel(reply.answer)} latencyMs=${latencyMs}`);
  }
}

/** For matching and logging: a resend body names its keyId and taskName. */
function factsOf(call: ProviderCall): CallFacts {
  const body = typeof call.body === 'object' && call.body !== null ? (call.body as Record<string, unknown>) : {};
  return { path: call.path, keyId: body['keyId'], taskName: body['taskName'] };
}

/** The global timer (not node:timers/promises), so that unit specs can drive it with fake timers. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pickLatency(latency: number | { min: number; max: number }): number {
  return typeof latency === 'number' ? latency : latency.min + Math.floor(Math.random() * (latency.max - latency.min + 1));
}
