import { Global, Injectable, Module } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';

/**
 * Fields on every log line about one piece of work (a consumed message, a claimed request),
 * whichever class logs it: nestjs-pino keeps a child logger per async context, and Nest's
 * Logger writes through it. The log calls themselves stay as they are.
 */
@Injectable()
export class LogContext {
  constructor(private readonly pino: PinoLogger) {}

  /** Runs `work` with `fields` on each line logged inside it (including after awaits). */
  run<T>(fields: Record<string, unknown>, work: () => T): T {
    return this.pino.runInContext(work, { bindings: fields, inherit: true });
  }

  /**
   * Adds `fields` to the lines logged from here on in the current context; nothing outside one.
   * Fields it already has with the same value are not added again (work retried in one context).
   */
  assign(fields: Record<string, unknown>): void {
    const current: Record<string, unknown> = this.pino.logger.bindings();
    const fresh = Object.entries(fields).filter(([name, value]) => current[name] !== value);
    if (fresh.length === 0) return;
    try {
      this.pino.assign(Object.fromEntries(fresh));
    } catch {
      // Outside a context (e.g. a unit test calling the code directly): nothing to add to.
    }
  }
}

/** Global, as logging is: any part of the flow may add fields to the lines about its piece of work. */
@Global()
@Module({ providers: [LogContext], exports: [LogContext] })
export class LogContextModule {}
