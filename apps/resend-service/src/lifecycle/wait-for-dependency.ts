import type { Logger } from '@nestjs/common';
import { backoffDelayMs } from '#common';

export interface DependencyWait {
  /** Shown in logs and in /health, e.g. "database". */
  name: string;
  /** One try; resolves when the dependency is usable. */
  attempt: () => Promise<void>;
  /** A failure that waiting cannot fix (a certificate, a password): returns the error to stop with, else null. */
  fatal?: (error: unknown) => Error | null;
  /** Called after each failed try, e.g. to clean up a half-made connection. */
  afterFailure?: () => Promise<void>;
  baseMs?: number;
  maxMs?: number;
}

/**
 * Tries `attempt` until it succeeds, with exponential backoff, logging every failure with its
 * cause and the delay before the next try. Returns false when `signal` aborts the wait
 * (shutdown): the delay between tries ends at once. Throws what `fatal` returns for a failure
 * that waiting cannot fix.
 */
export async function waitForDependency(
  dependency: DependencyWait,
  options: { signal: AbortSignal; logger: Logger; onFailure?: (cause: string) => void },
): Promise<boolean> {
  const { signal, logger } = options;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      await dependency.attempt();
      if (attempt > 1) logger.log({ msg: `${dependency.name} reachable after ${attempt} attempts`, dependency: dependency.name, attempt });
      return !signal.aborted;
    } catch (error) {
      await dependency.afterFailure?.().catch(() => undefined);
      const fatal = dependency.fatal?.(error);
      if (fatal) throw fatal;
      if (signal.aborted) return false;
      const cause = describeCause(error);
      const retryInMs = backoffDelayMs(attempt, { baseMs: dependency.baseMs ?? 500, maxMs: dependency.maxMs ?? 10_000 });
      options.onFailure?.(cause);
      logger.warn({
        msg: `${dependency.name} not reachable (attempt ${attempt}): ${cause}; retrying in ${retryInMs} ms`,
        dependency: dependency.name,
        attempt,
        retryInMs,
        cause,
      });
      await abortableDelay(retryInMs, signal);
    }
  }
  return false;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // AggregateError (e.g. a host with IPv4 and IPv6 addresses) has an empty message of its own.
  const inner = (error as Error & { errors?: unknown[] }).errors;
  const message = error.message || (inner?.length ? describeCause(inner[0]) : error.name);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
