import { describe, expect, it } from 'vitest';
import { TypeOrmLogger } from './typeorm-logger.js';

function capture() {
  const lines: { level: string; fields: Record<string, any> }[] = [];
  const record = (level: string) => (fields: Record<string, any>) => lines.push({ level, fields });
  const target = { error: record('error'), warn: record('warn'), log: record('log'), debug: record('debug') };
  return { lines, logger: new TypeOrmLogger({ migrationProgress: true }, target) };
}

/** What pg throws for a statement PostgreSQL refuses: the values are in `detail` (and in the parameters). */
function pgError(message: string, code: string, detail: string) {
  return Object.assign(new Error(message), { code, detail, severity: 'ERROR' });
}

describe('TypeOrmLogger', () => {
  const payload = { keyId: 123456789, taskName: 'call +33612345678 about the invoice', displayNum: '1008122211' };
  const query = `INSERT INTO "resend_request"("request_id", "payload")\n   VALUES ($1, $2)`;

  it('logs a failed query with its SQL, parameter count and SQLSTATE, without the parameter values or the detail', () => {
    const { lines, logger } = capture();
    const error = pgError('invalid input syntax for type json', '22P02', `Token "call +33612345678" is invalid.`);
    logger.logQueryError(error, query, ['e2e-1', JSON.stringify(payload)]);

    expect(lines).toEqual([
      {
        level: 'error',
        fields: {
          msg: 'query failed: invalid input syntax for type json',
          query: 'INSERT INTO "resend_request"("request_id", "payload") VALUES ($1, $2)',
          parameterCount: 2,
          sqlState: '22P02',
        },
      },
    ]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain('+33612345678');
    expect(logged).not.toContain('1008122211');
    expect(logged).not.toContain('e2e-1');
  });

  it('logs an outage or a conflict that the caller retries as a warning', () => {
    const { lines, logger } = capture();
    logger.logQueryError(
      pgError(
        'duplicate key value violates unique constraint "resend_request_one_live_per_key_id"',
        '23505',
        'Key (key_id)=(123456789) already exists.',
      ),
      query,
      [1, 2],
    );
    logger.logQueryError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'SELECT 1', []);
    expect(lines.map((line) => line.level)).toEqual(['warn', 'warn']);
    expect(JSON.stringify(lines)).not.toContain('123456789');
  });

  it('cuts a long error message short (PostgreSQL may quote the value it refused)', () => {
    const { lines, logger } = capture();
    logger.logQueryError(pgError(`value too long: ${'x'.repeat(1000)}`, '22001', ''), query, []);
    expect(lines[0]!.fields.msg.length).toBeLessThan(350);
  });

  it('does not log each query, and logs migration progress at info', () => {
    const { lines, logger } = capture();
    logger.logQuery();
    logger.logSchemaBuild('Migration InitialSchema1764237600000 has been executed successfully.');
    expect(lines).toEqual([{ level: 'log', fields: { msg: 'Migration InitialSchema1764237600000 has been executed successfully.' } }]);
  });
});
