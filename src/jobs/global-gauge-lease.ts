import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How long the exporter keeps the role without a scrape; another replica takes it over after that. */
export const GLOBAL_GAUGE_LEASE_MS = 60_000;

const LEASE_NAME = 'global-gauges';

/**
 * Which replica exports the global gauges (backlog, gaps, quota, health status: values read from the database,
 * the same for every replica). Only the holder of a short lease in `job_leases` exports them, so `sum()` over
 * replicas does not multiply them; each scrape of the holder renews it, and when the holder stops being scraped
 * (or dies) another replica takes over at its next scrape. Counters and process metrics stay per replica.
 */
@Injectable()
export class GlobalGaugeLease implements BeforeApplicationShutdown {
  /** This process's identity as a lease holder. */
  readonly holder = randomUUID();

  constructor(private readonly dataSource: DataSource) {}

  /** Takes or renews the lease; true when this replica holds it. */
  async holdOrTake(leaseMs: number = GLOBAL_GAUGE_LEASE_MS): Promise<boolean> {
    const rows = await this.dataSource.query<{ holder: string }[]>(
      `INSERT INTO job_leases (name, holder, leased_until)
       VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::float8 / 1000))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, leased_until = EXCLUDED.leased_until
        WHERE job_leases.holder = EXCLUDED.holder OR job_leases.leased_until <= clock_timestamp()
       RETURNING holder`,
      [LEASE_NAME, this.holder, leaseMs],
    );
    return rows[0]?.holder === this.holder;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.release().catch(() => undefined);
  }

  /** Gives the lease up (at shutdown), so another replica exports at once. */
  async release(): Promise<void> {
    await this.dataSource.query(
      `UPDATE job_leases SET holder = NULL, leased_until = '-infinity' WHERE name = $1 AND holder = $2`,
      [LEASE_NAME, this.holder],
    );
  }
}
