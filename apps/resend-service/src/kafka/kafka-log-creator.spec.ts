import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log-creator.js';

function entry(level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return {
    namespace: 'Connection',
    level,
    label: logLevel[level],
    log: { timestamp: '2026-11-28T22:46:07.818Z', logger: 'kafkajs', message, ...extra },
  };
}

describe('kafkaLogLevel', () => {
  // Lines seen from kafkajs 2.2.4 against Kafka 4.4 at start-up, at peer restarts and in outages.
  it.each([
    ['Response Heartbeat(key: 12, version: 3)', { error: 'The group is rebalancing, so a rejoin is needed' }],
    ['Response GroupCoordinator(key: 10, version: 2)', { error: 'The group coordinator is not available' }],
    ["Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group", {}],
    ['Restarting the consumer in 300ms', { retryTime: 300 }],
    [
      'Response Metadata(key: 3, version: 6)',
      { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' },
    ],
    ['Connection error: connect ECONNREFUSED 127.0.0.1:9092', {}],
    ['Failed to connect to seed broker, trying another broker from the list: Connection timeout', {}],
    ['Response JoinGroup(key: 11, version: 5)', { error: 'The coordinator is not aware of this member' }],
  ])('a transient ERROR is a warning: %s', (message, extra) => {
    expect(kafkaLogLevel(logLevel.ERROR, entry(logLevel.ERROR, message, extra).log)).toBe('warn');
  });

  it('an ERROR that no retry fixes stays an error', () => {
    const line = entry(logLevel.ERROR, 'Crash: KafkaJSProtocolError: Not authorized to access group', {
      error: 'Not authorized to access group',
    });
    expect(kafkaLogLevel(logLevel.ERROR, line.log)).toBe('error');
  });

  it('maps WARN, INFO and DEBUG to warn, log and debug', () => {
    expect(kafkaLogLevel(logLevel.WARN, entry(logLevel.WARN, 'x').log)).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, entry(logLevel.INFO, 'Starting').log)).toBe('log');
    expect(kafkaLogLevel(logLevel.DEBUG, entry(logLevel.DEBUG, 'x').log)).toBe('debug');
  });
});

describe('kafkaLogCreator', () => {
  function capture() {
    const lines: { level: string; fields: Record<string, any> }[] = [];
    const record = (level: string) => (fields: Record<string, any>) => lines.push({ level, fields });
    return { lines, target: { error: record('error'), warn: record('warn'), log: record('log'), debug: record('debug') } };
  }

  it('logs the message as msg and the rest as structured kafka fields, not a JSON string', () => {
    const { lines, target } = capture();
    kafkaLogCreator(target)(logLevel.WARN)(
      entry(logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', {
        broker: '127.0.0.1:9092',
        clientId: 'resend-relay',
        error: 'The group is rebalancing, so a rejoin is needed',
        correlationId: 7,
        stack: 'KafkaJSProtocolError: …\n    at …',
      }),
    );
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: {
          msg: 'Response Heartbeat(key: 12, version: 3)',
          kafka: {
            namespace: 'Connection',
            broker: '127.0.0.1:9092',
            clientId: 'resend-relay',
            error: 'The group is rebalancing, so a rejoin is needed',
            correlationId: 7,
          },
        },
      },
    ]);
  });

  it('keeps the stack of a real error', () => {
    const { lines, target } = capture();
    kafkaLogCreator(target)(logLevel.WARN)(entry(logLevel.ERROR, 'Crash: something unexpected', { stack: 'Error: x\n    at y' }));
    expect(lines[0]).toMatchObject({
      level: 'error',
      fields: { msg: 'Crash: something unexpected', kafka: { stack: 'Error: x\n    at y' } },
    });
  });
});
