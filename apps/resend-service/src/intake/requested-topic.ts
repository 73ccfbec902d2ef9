import { DEFAULT_TOPICS } from '#contracts';

/**
 * Nest binds Kafka handlers when the controller class is defined, before configuration is
 * loaded, so the topic is read from the environment here. The configuration schema validates
 * the same variable (KAFKA_TOPIC_REQUESTED) at start-up.
 */
export const REQUESTED_TOPIC = process.env.KAFKA_TOPIC_REQUESTED || DEFAULT_TOPICS.requested;
