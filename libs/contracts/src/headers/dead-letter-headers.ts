/**
 * Headers the service adds when it copies a message to the dead-letter topic. The original key,
 * value and headers are kept unchanged, so the message can be fixed and re-published as it was.
 */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq_reason',
  error: 'dlq_error',
  sourceTopic: 'dlq_source_topic',
  sourcePartition: 'dlq_source_partition',
  sourceOffset: 'dlq_source_offset',
  failedAt: 'dlq_failed_at',
} as const;

/** Values of the `dlq_reason` header. Consumers should accept reasons added later. */
export const DEAD_LETTER_REASONS = [
  'too_large', // the value is bigger than MAX_REQUEST_BYTES
  'not_json', // no value, or not UTF-8 JSON
  'not_an_object', // JSON, but not an object
  'no_usable_key_id', // refused without a usable keyId: the failed event is published and the message is kept here too
  'unrecordable', // the service could not store the message (a NUL character the database refuses, JSON nested too deep)
] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
