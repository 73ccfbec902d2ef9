export { DEFAULT_TOPICS } from './topics.js';
export { MAX_REQUEST_BYTES } from './message-limits.js';

export { parseResendRequest, type ParsedResendRequest } from './request/parse-resend-request.js';
export { describeIssues, type ValidationIssue } from './request/validation-issue.js';

export { ERROR_CATEGORIES, type ErrorCategory, type ResendCompletedEvent, type ResendFailedEvent } from './events/outcome-events.js';

export { resendRequestedJsonSchema } from './schemas/resend-requested.schema.js';
export { resendCompletedJsonSchema } from './schemas/resend-completed.schema.js';
export { resendFailedJsonSchema } from './schemas/resend-failed.schema.js';
export { validateCompletedEvent, validateFailedEvent, validateRequestedEvent } from './schemas/validate-events.js';

export {
  buildCloudEventHeaders,
  readCloudEvent,
  validateCloudEventHeaders,
  CLOUD_EVENT_HEADERS,
  TRACE_CONTEXT_HEADERS,
  CLOUD_EVENTS_SPEC_VERSION,
  DEFAULT_CLOUD_EVENT_SOURCE,
  EVENT_CONTENT_TYPE,
  REQUIRED_CLOUD_EVENT_HEADERS,
  type CloudEventAttributes,
  type KafkaHeaderValue,
} from './headers/cloud-event-headers.js';
export { DEAD_LETTER_HEADERS, DEAD_LETTER_REASONS, type DeadLetterReason } from './headers/dead-letter-headers.js';
