import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceLogFields } from './trace-log-fields.js';

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

/** A pino logger with the mixin, writing its lines into an array. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: pino({ mixin: traceLogFields }, stream) };
}

describe('traceLogFields (the pino mixin)', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => context.disable());

  it('puts the active span ids on every line written inside it, across awaits', async () => {
    const { lines, logger } = capturingLogger();
    await context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), async () => {
      logger.info({ requestId: 'r-1' }, 'before');
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('after');
    });
    expect(lines.map(({ trace_id, span_id, trace_flags, msg }) => ({ trace_id, span_id, trace_flags, msg }))).toEqual([
      { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: '01', msg: 'before' },
      { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: '01', msg: 'after' },
    ]);
    expect(lines[0]!.requestId).toBe('r-1');
  });

  it('adds nothing outside a span, and lines keep their own fields', () => {
    const { lines, logger } = capturingLogger();
    logger.info({ context: 'Main' }, 'no span');
    logger.info({ context: 'Main' }, 'again');
    expect(lines.map((line) => Object.keys(line).filter((key) => /trace|span/.test(key)))).toEqual([[], []]);
    expect(lines.map((line) => line.context)).toEqual(['Main', 'Main']);
  });
});
