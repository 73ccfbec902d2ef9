/** Our stable codes for failures that have no provider status code. */
export type TransportErrorCode = 'TIMEOUT' | 'CONNECTION_REFUSED' | 'CONNECTION_RESET' | 'NETWORK';

/** Fields every outcome of a resend call carries, for logs and audit. */
interface CallMetadata {
  /** Wall time from sending the request to the end of the answer (or the failure). */
  latencyMs: number;
  /** The `Timestamp` header sent with this attempt (Unix seconds). Never the Sign. */
  timestamp: number;
}

/** The provider created a new task; `taskId` is its id (the provider's `data`). */
export interface AcceptedResult extends CallMetadata {
  kind: 'accepted';
  taskId: number;
  httpStatus: number;
  providerStatus: '0';
  reason: string;
}

/** The provider answered with a non-zero status (HTTP 200 with an error code in the body). */
export interface RejectedResult extends CallMetadata {
  kind: 'rejected';
  httpStatus: number;
  /** The provider's code as given, as a string ("-41"). */
  providerStatus: string;
  reason: string;
}

/** A non-2xx answer, or a 2xx whose body is not the documented JSON. */
export interface HttpErrorResult extends CallMetadata {
  kind: 'http_error';
  httpStatus: number;
  /** The first characters of the body, for diagnosis; secrets are masked. */
  bodyExcerpt: string;
}

/** No HTTP answer at all. */
export interface TransportErrorResult extends CallMetadata {
  kind: 'transport_error';
  errorCode: TransportErrorCode;
  message: string;
  /**
   * True when the request may have reached the provider (we were connected when it failed):
   * the task may exist. False when it certainly did not (refused, name not resolved, never connected).
   */
  outcomeUnknown: boolean;
}

/** Every way a resend call can end. `ItniotechClient.resendAi` never throws for these. */
export type ProviderCallResult = AcceptedResult | RejectedResult | HttpErrorResult | TransportErrorResult;
