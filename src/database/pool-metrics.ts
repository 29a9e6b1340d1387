import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';

/** The counts a pg Pool keeps (`pg.Pool#totalCount`, …). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export const POOL_STATES = ['total', 'idle', 'waiting'] as const;
export type PoolState = (typeof POOL_STATES)[number];

function isPoolCounts(value: unknown): value is PoolCounts {
  return (
    typeof value === 'object' &&
    value !== null &&
    'totalCount' in value &&
    typeof value.totalCount === 'number' &&
    'idleCount' in value &&
    typeof value.idleCount === 'number' &&
    'waitingCount' in value &&
    typeof value.waitingCount === 'number'
  );
}

/**
 * The pg Pool behind TypeORM's DataSource (`driver.master`; TypeORM types it `any`, hence the shape check), or
 * null before the DataSource is initialised or after it is destroyed.
 */
export function poolOf(dataSource: DataSource): PoolCounts | null {
  if (!dataSource.isInitialized) {
    return null;
  }
  const driver: unknown = dataSource.driver;
  const master = typeof driver === 'object' && driver !== null && 'master' in driver ? driver.master : null;
  return isPoolCounts(master) ? master : null;
}

export function poolConnections(pool: PoolCounts): Record<PoolState, number> {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/**
 * `tango_sync_db_pool_connections{state}`: connections the pool holds (`total`, of which `idle`) and queries
 * waiting for one (`waiting` above 0 means the pool is too small for the load, or Postgres is slow).
 */
@Injectable()
export class PoolMetrics {
  constructor(dataSource: DataSource, metrics: MetricsService) {
    metrics.gauge(
      'tango_sync_db_pool_connections',
      'Postgres pool connections by state: total (open), idle, waiting (queries queued for a connection)',
      ['state'],
      function collect() {
        this.reset();
        const pool = poolOf(dataSource);
        if (pool === null) {
          return;
        }
        for (const [state, count] of Object.entries(poolConnections(pool))) {
          this.set({ state }, count);
        }
      },
    );
  }
}
