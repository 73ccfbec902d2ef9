import type { EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/**
 * Runs callbacks once the transaction they were registered in has committed, and drops them
 * when it rolls back: a counter of outcomes must count what the database kept, not what a
 * transaction that failed (and is retried) tried to write.
 *
 * It subscribes itself to the DataSource on first use, because TypeORM rebuilds its list of
 * subscribers when the DataSource is initialised (which happens after the app is built).
 */
export class AfterCommit implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, (() => void)[]>();

  /** Calls `callback` after `transaction` commits; at once when `transaction` is not one. */
  run(transaction: EntityManager, callback: () => void): void {
    const queryRunner = transaction.queryRunner;
    if (!queryRunner?.isTransactionActive) {
      callback();
      return;
    }
    const subscribers = queryRunner.connection.subscribers;
    if (!subscribers.includes(this)) subscribers.push(this);
    const callbacks = this.pending.get(queryRunner) ?? [];
    callbacks.push(callback);
    this.pending.set(queryRunner, callbacks);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A savepoint released inside a transaction is not a commit yet.
    if (!event.queryRunner || event.queryRunner.isTransactionActive) return;
    const callbacks = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    callbacks?.forEach((callback) => callback());
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner || event.queryRunner.isTransactionActive) return;
    this.pending.delete(event.queryRunner);
  }
}
