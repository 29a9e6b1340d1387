import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withinTime } from '../common/within-time';

/** Answers whether Postgres takes a trivial query within the given time. */
@Injectable()
export class DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {}

  async ping(timeoutMs: number): Promise<void> {
    await withinTime(this.dataSource.query('SELECT 1'), timeoutMs);
  }
}
