import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Sql } from '../database/sql.js';
import { claimedRequestFrom, type ClaimedRequest } from './claimed-request.js';
import { claimAndMarkInFlight, type ClaimedRow } from './submission.sql.js';

/**
 * Hands due requests to this instance's worker under a lease. SKIP LOCKED lets every instance
 * claim concurrently without waiting on, or taking, each other's rows; an expired lease (its
 * worker died or stalled) makes a request claimable again. Each claim has a lease owner of its
 * own (`<instance>/<claim number>`), so that a stalled call of this very instance cannot write
 * over the request once it has been claimed again.
 */
@Injectable()
export class RequestClaims {
  private claims = 0;

  constructor(
    private readonly sql: Sql,
    private readonly config: AppConfig,
  ) {}

  async claim(limit: number): Promise<ClaimedRequest[]> {
    const { leaseMs, maxAttempts, maxAgeMs } = this.config.submission;
    this.claims += 1;
    const leaseOwner = `${this.config.instanceId}/${this.claims}`;
    const rows = await this.sql.query<ClaimedRow>(claimAndMarkInFlight, [leaseOwner, leaseMs, limit, maxAttempts, maxAgeMs]);
    return rows.map((row) => claimedRequestFrom(row, leaseOwner));
  }
}
