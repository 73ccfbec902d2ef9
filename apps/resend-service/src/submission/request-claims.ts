import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ResendRequest } from '../requests/resend-request.entity.js';

/**
 * Hands pending requests to this instance's worker under a lease. SKIP LOCKED lets every
 * instance claim concurrently without waiting on, or taking, each other's rows; an expired
 * lease (its worker died) makes a request claimable again.
 */
@Injectable()
export class RequestClaims {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async claim(limit: number): Promise<ResendRequest[]> {
    // For UPDATE ... RETURNING, TypeORM's postgres driver answers [rows, affectedCount].
    const [rows]: [Record<string, unknown>[], number] = await this.dataSource.query(
      `UPDATE resend_request AS r
          SET status = 'in_progress', lease_owner = $1,
              lease_expires_at = now() + make_interval(secs => $2::double precision / 1000),
              updated_at = now()
         FROM (SELECT id FROM resend_request
                WHERE (status = 'pending' AND next_attempt_at <= now())
                   OR (status = 'in_progress' AND lease_expires_at < now())
                -- Lookups after unknown outcomes first: a long queue of new submissions must not starve them.
                ORDER BY outcome_unknown DESC, next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED) AS claimable
        WHERE r.id = claimable.id
      RETURNING r.*`,
      [this.config.instanceId, this.config.submission.leaseMs, limit],
    );
    const metadata = this.dataSource.getMetadata(ResendRequest);
    return rows.map((row) => this.dataSource.manager.create(ResendRequest, toEntityFields(metadata.columns, row)));
  }
}

/** Maps raw column names to entity properties, applying the column transformers (bigint → number). */
function toEntityFields(
  columns: ReturnType<DataSource['getMetadata']>['columns'],
  row: Record<string, unknown>,
): Partial<ResendRequest> {
  const fields: Record<string, unknown> = {};
  for (const column of columns) {
    const raw = row[column.databaseName];
    const transformer = column.transformer && !Array.isArray(column.transformer) ? column.transformer : null;
    fields[column.propertyName] = transformer ? transformer.from(raw) : raw;
  }
  return fields as Partial<ResendRequest>;
}
