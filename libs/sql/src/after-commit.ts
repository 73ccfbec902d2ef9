import type { AfterCommit } from './sql-port.js';

/**
 * `value` as a result of the transaction whose state `committed` tells; for fakes of the port,
 * a value that is already committed.
 */
export function afterCommit<T>(value: Promise<T>, committed: () => boolean = () => true): AfterCommit<T> {
  // Reported by the transaction, or to whoever reads it; never an unhandled rejection.
  value.catch(() => undefined);
  return {
    read: () => {
      if (!committed()) throw new Error('rows read before their transaction committed');
      return value;
    },
    map: (transform) => afterCommit(value.then(transform), committed),
  };
}
