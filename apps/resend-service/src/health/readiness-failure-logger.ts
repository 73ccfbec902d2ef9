import { Injectable, Logger, type LoggerService } from '@nestjs/common';

const FAILED_PREFIX = 'Health Check has failed!';

/**
 * Terminus's logger. A failed readiness check is what an outage looks like from /health, and
 * the service waits outages out: a warning, with the failing indicators as fields, not an error
 * line whose message holds JSON as a string (once per probe, every few seconds).
 */
@Injectable()
export class ReadinessFailureLogger implements LoggerService {
  private readonly logger = new Logger('Health');

  log(message: unknown): void {
    this.logger.log(message);
  }

  warn(message: unknown): void {
    this.logger.warn(message);
  }

  error(message: unknown): void {
    this.logger.warn(readinessFailureFields(message));
  }

  debug(message: unknown): void {
    this.logger.debug(message);
  }

  verbose(message: unknown): void {
    this.logger.verbose(message);
  }
}

/** `Health Check has failed! {"kafka":{"status":"down",…}}` → `{ msg, failing: { kafka: {…} } }`. */
export function readinessFailureFields(message: unknown): Record<string, unknown> {
  const text = String(message);
  if (!text.startsWith(FAILED_PREFIX)) return { msg: text };
  try {
    return { msg: 'readiness check failed', failing: JSON.parse(text.slice(FAILED_PREFIX.length)) as unknown };
  } catch {
    return { msg: text };
  }
}
