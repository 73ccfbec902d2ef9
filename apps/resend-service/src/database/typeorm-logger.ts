import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLoggerInterface, ObjectLiteral } from 'typeorm';
import { classifyDatabaseError } from './database-errors.js';

type Target = Record<'error' | 'warn' | 'log' | 'debug', (fields: Record<string, unknown>) => void>;

/** Long enough for any message PostgreSQL writes about a statement; a quoted value is cut short. */
const MAX_ERROR_MESSAGE = 300;

/**
 * TypeORM's log through Nest's logger (nestjs-pino), as structured fields. A failed query is
 * logged with its SQL, the number of its parameters, the SQLSTATE and PostgreSQL's message, but
 * never the parameter values nor the error's `detail`: they carry request payloads (bodies,
 * task names, phone numbers), which do not belong in logs. An outage or a conflict between
 * transactions, which the callers retry, is a warning; anything else an error.
 * Each query is not logged at all: the hot path runs thousands a second. Migration progress
 * (which TypeORM reports as "schema build") at info when `migrationProgress` is set (the service
 * at start-up), else not at all (scripts and tests).
 */
export class TypeOrmLogger implements TypeOrmLoggerInterface {
  constructor(
    private readonly options: { migrationProgress?: boolean } = {},
    private readonly target: Target = new Logger('TypeORM'),
  ) {}

  logQuery(): void {}

  logQueryError(error: string | Error, query: string, parameters?: unknown[] | ObjectLiteral): void {
    const failure = describeFailure(error);
    this.target[['outage', 'conflict'].includes(classifyDatabaseError(error)) ? 'warn' : 'error']({
      msg: `query failed: ${failure.message}`,
      query: query.replace(/\s+/g, ' ').trim(),
      parameterCount: Array.isArray(parameters) ? parameters.length : parameters ? Object.keys(parameters).length : 0,
      ...(failure.code ? { sqlState: failure.code } : {}),
    });
  }

  logQuerySlow(time: number, query: string): void {
    this.target.warn({ msg: `slow query: ${time} ms`, query: query.replace(/\s+/g, ' ').trim(), durationMs: time });
  }

  logSchemaBuild(message: string): void {
    if (this.options.migrationProgress) this.target.log({ msg: message });
  }

  logMigration(message: string): void {
    this.target.log({ msg: message });
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.target[level === 'warn' ? 'warn' : 'log']({ msg: String(message) });
  }
}

function describeFailure(error: string | Error): { message: string; code?: string } {
  if (typeof error === 'string') return { message: truncate(error) };
  const code = (error as { code?: unknown }).code ?? (error as { driverError?: { code?: unknown } }).driverError?.code;
  return { message: truncate(error.message), code: typeof code === 'string' ? code : undefined };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text;
}
