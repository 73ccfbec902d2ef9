import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';

type TargetLevel = 'error' | 'warn' | 'log' | 'debug';
/** Nest's Logger (which writes through nestjs-pino once the app is up), or anything with its methods. */
export type KafkaLogTarget = Record<TargetLevel, (fields: Record<string, unknown>) => void>;

/**
 * What kafkajs reports at ERROR although the client retries it by itself: group rebalances at
 * every restart of a peer, a coordinator that is loading or moved, leader elections, lost or
 * refused connections. Worth a warning (an outage shows up in /health and the retry logs of
 * FlowLifecycle and the outbox relay), not an error page.
 */
const TRANSIENT =
  /rebalanc|coordinator|leader|not aware of this member|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection error|Connection timeout|Closed connection|Request timed out|seed broker|Restarting the consumer|KafkaJSConnectionError/i;

/** The level a kafkajs log line gets in our log. */
export function kafkaLogLevel(level: logLevel, log: LogEntry['log']): TargetLevel {
  switch (level) {
    case logLevel.ERROR:
      return isTransient(log) ? 'warn' : 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'log';
    default:
      return 'debug';
  }
}

/**
 * The fields of a kafkajs log line as structured fields (`kafka.*`) of one pino line, instead of
 * kafkajs's own "ERROR [Connection] … {json}" string. The stack is kept for real errors only.
 */
export function kafkaLogFields(entry: LogEntry, level: TargetLevel): Record<string, unknown> {
  const { timestamp: _timestamp, logger: _logger, message, stack, ...fields }: Record<string, unknown> = entry.log;
  return {
    msg: message,
    kafka: { namespace: entry.namespace || undefined, ...fields, ...(level === 'error' && stack ? { stack } : {}) },
  };
}

/** kafkajs `logCreator` option: its lines go through Nest's logger (nestjs-pino), at their own level. */
export function kafkaLogCreator(target: KafkaLogTarget = new Logger('Kafka')): logCreator {
  return () => (entry) => {
    const level = kafkaLogLevel(entry.level, entry.log);
    target[level](kafkaLogFields(entry, level));
  };
}

function isTransient(log: LogEntry['log']): boolean {
  return TRANSIENT.test(`${log.message} ${typeof log.error === 'string' ? log.error : ''}`);
}
