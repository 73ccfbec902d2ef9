export * from './sql-port.js';
export * from './after-commit.js';
export * from './pg-sql-database.js';
