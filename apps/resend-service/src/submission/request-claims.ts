import { Injectable } from '@nestjs/common';
import type { AfterCommit, SqlTransaction } from '#sql';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import { leaseOwnerSequence } from './lease-owners.js';
import { claimedAtIntake, claimedRequestFrom, type ClaimedRequest, type RecordedRequest } from './claimed-request.js';
import {
  claimAndMarkInFlight,
  claimInIndexOrder,
  claimRecordedRequests,
  type ClaimedAtIntakeRow,
  type ClaimedRow,
} from './submission.sql.js';

/**
 * Hands due requests to this instance's worker under a lease. SKIP LOCKED lets every instance
 * claim concurrently without waiting on, or taking, each other's rows; an expired lease (its
 * worker died or stalled) makes a request claimable again. Each claim has a lease owner of its
 * own (leaseOwnerSequence: `<instance>/<process token>/<claim number>`), so that a stalled call of
 * this very instance, or of another process, cannot write over the request once it has been
 * claimed again.
 */
@Injectable()
export class RequestClaims {
  private readonly nextLeaseOwner: () => string;

  constructor(
    private readonly sql: Sql,
    private readonly config: AppConfig,
  ) {
    this.nextLeaseOwner = leaseOwnerSequence(config.instanceId);
  }

  /** One round trip: BEGIN, the planner setting, the claim and COMMIT go out in one write. */
  async claim(limit: number): Promise<ClaimedRequest[]> {
    const { leaseMs, maxAttempts, maxAgeMs } = this.config.submission;
    const { lookupSettleMs } = this.config.provider;
    const leaseOwner = this.nextLeaseOwner();
    const { claimed } = await this.sql.transaction(async (transaction) => {
      transaction.send(claimInIndexOrder);
      return {
        claimed: transaction.sendForRows<ClaimedRow>(claimAndMarkInFlight, [
          leaseOwner,
          leaseMs,
          limit,
          maxAttempts,
          maxAgeMs,
          lookupSettleMs,
        ]),
      };
    });
    return (await claimed.read()).map((row) => claimedRequestFrom(row, leaseOwner));
  }

  /**
   * Claims new requests in the transaction that records them (sent without waiting, like the
   * rest of it). The claimed requests come with the commit: await them only once it is done.
   */
  claimRecorded(transaction: SqlTransaction, requests: RecordedRequest[]): AfterCommit<ClaimedRequest[]> {
    const leaseOwner = this.nextLeaseOwner();
    const byId = new Map(requests.map((request) => [request.id, request]));
    return transaction
      .sendForRows<ClaimedAtIntakeRow>(claimRecordedRequests, [[...byId.keys()], leaseOwner, this.config.submission.leaseMs])
      .map((rows) => rows.map((row) => claimedAtIntake(byId.get(row.id)!, row, leaseOwner)));
  }
}
