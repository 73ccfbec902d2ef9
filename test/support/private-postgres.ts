import { PrivatePostgres as Server } from '../../scripts/support/private-postgres.js';

/**
 * The tests' private PostgreSQL server (see scripts/support/private-postgres.ts, shared with the
 * benchmark). fsync and synchronous_commit off: a throw-away test server, speed over durability.
 */
export type PrivatePostgres = Server;
export const PrivatePostgres = {
  start: (preferredPort = 55432): Promise<Server> =>
    Server.start({ preferredPort, settings: { fsync: 'off', synchronous_commit: 'off', max_connections: '200' } }),
};
