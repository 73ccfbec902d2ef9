/**
 * The topic names the service uses unless configuration renames them
 * (KAFKA_TOPIC_REQUESTED, KAFKA_TOPIC_COMPLETED, KAFKA_TOPIC_FAILED, KAFKA_TOPIC_DEAD_LETTER).
 */
export const DEFAULT_TOPICS = {
  requested: 'campaign.resend.requested',
  completed: 'campaign.resend.completed',
  failed: 'campaign.resend.failed',
  deadLetter: 'campaign.resend.requested.dlq',
} as const;
