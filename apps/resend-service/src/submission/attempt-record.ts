import type { Classification, ProviderCallResult, TaskLookupResult } from '#itniotech';

/** How a provider call ended, for its submission_attempt row. Holds the Timestamp header, never the Sign or the secret. */
export interface AttemptRecord {
  id: string;
  outcome: string;
  sign_timestamp: number | null;
  latency_ms: number;
  http_status: number | null;
  provider_status: string | null;
  provider_reason: string | null;
  error_code: string | null;
  error_message: string | null;
}

export function submitAttemptRecord(id: string, result: ProviderCallResult, verdict: Classification): AttemptRecord {
  return {
    id,
    outcome: result.kind,
    sign_timestamp: result.timestamp,
    latency_ms: Math.round(result.latencyMs),
    http_status: 'httpStatus' in result ? result.httpStatus : null,
    provider_status: 'providerStatus' in result ? result.providerStatus : null,
    provider_reason: 'reason' in result ? result.reason : null,
    error_code: verdict.decision === 'success' ? null : verdict.errorCode,
    error_message: verdict.decision === 'success' ? null : verdict.message,
  };
}

export function lookupAttemptRecord(id: string, result: TaskLookupResult, latencyMs: number): AttemptRecord {
  return {
    id,
    outcome: result.kind === 'failed' ? 'lookup_failed' : result.kind,
    sign_timestamp: null,
    latency_ms: Math.round(latencyMs),
    http_status: null,
    provider_status: null,
    provider_reason: result.kind === 'found' ? `found task ${result.tasks.map((task) => task.jobId).join(', ')}` : null,
    error_code: result.kind === 'failed' ? result.errorCode : null,
    error_message: result.kind === 'failed' ? result.message : null,
  };
}
