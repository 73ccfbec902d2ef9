/**
 * A request is a handful of small fields, so anything bigger than this is a mistake or an attack.
 * The service measures the raw message value before JSON.parse and dead-letters larger ones,
 * which keeps huge payloads away from the parser and the database.
 */
export const MAX_REQUEST_BYTES = 64 * 1024;
