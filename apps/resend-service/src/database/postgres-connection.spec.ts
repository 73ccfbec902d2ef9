import { describe, expect, it } from 'vitest';
import { postgresClientConfig } from './postgres-connection.js';

const url = 'postgres://relay@db.internal:6432/resend_relay';

describe('postgresClientConfig', () => {
  it('hands DATABASE_URL over as it is when nothing else is set (its own sslmode still works)', () => {
    expect(postgresClientConfig({ url: `${url}?sslmode=require`, password: null, ssl: null })).toEqual({
      connectionString: `${url}?sslmode=require`,
    });
  });

  it('takes the URL apart to add a separate password, which a connection string would override', () => {
    expect(postgresClientConfig({ url, password: 's3cret', ssl: null })).toEqual({
      host: 'db.internal',
      port: 6432,
      user: 'relay',
      database: 'resend_relay',
      password: 's3cret',
    });
  });

  it('maps libpq sslmodes onto Node TLS options', () => {
    const ssl = (mode: 'disable' | 'require' | 'verify-ca' | 'verify-full') =>
      postgresClientConfig({ url, password: null, ssl: { mode, ca: 'CA PEM' } }).ssl as Record<string, any> | false;
    expect(ssl('disable')).toBe(false);
    expect(ssl('require')).toEqual({ rejectUnauthorized: false });
    const verifyCa = ssl('verify-ca') as Record<string, any>;
    expect(verifyCa).toMatchObject({ ca: 'CA PEM', rejectUnauthorized: true });
    expect(verifyCa.checkServerIdentity('elsewhere', {})).toBeUndefined();
    expect(ssl('verify-full')).toEqual({ ca: 'CA PEM', rejectUnauthorized: true });
  });
});
