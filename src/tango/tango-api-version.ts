import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { type ApiVersion, compareApiVersions, parseApiVersion } from '../tango-contract/api-version';

/** The header every Tango answer carries with the API version that produced it. */
export const API_VERSION_HEADER = 'x-tango-api-version';

/** The newest API version a Tango answer carried, and when it was first seen. */
export interface SeenApiVersion {
  readonly version: string;
  readonly seenAt: Date;
}

/** Where the newest version is kept: Postgres for the worker, nowhere for a command run without a database. */
export abstract class TangoApiVersionStore {
  /** Stores `version` for this Tango when it is newer than the stored one (otherwise writes nothing). */
  abstract recordIfNewer(baseUrl: string, version: ApiVersion): Promise<void>;
  /** The newest version stored for this Tango, or null when no answer has carried a readable one. */
  abstract newest(baseUrl: string): Promise<SeenApiVersion | null>;
}

const seenRow = z.object({ version: z.string(), seen_at: z.coerce.date() });

/** `tango_api_version`, one row per Tango base URL, shared by every replica and `/health`. */
@Injectable()
export class PostgresApiVersionStore extends TangoApiVersionStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async recordIfNewer(baseUrl: string, version: ApiVersion): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO tango_api_version (base_url, version, version_parts) VALUES ($1, $2, $3::int[])
       ON CONFLICT (base_url) DO UPDATE SET
         version = EXCLUDED.version, version_parts = EXCLUDED.version_parts, seen_at = EXCLUDED.seen_at
       WHERE tango_api_version.version_parts < EXCLUDED.version_parts`,
      [baseUrl, version.text, [version.major, version.minor, version.patch]],
    );
  }

  async newest(baseUrl: string): Promise<SeenApiVersion | null> {
    const rows = z
      .array(seenRow)
      .parse(
        await this.dataSource.query('SELECT version, seen_at FROM tango_api_version WHERE base_url = $1', [
          baseUrl,
        ]),
      );
    const row = rows[0];
    return row === undefined ? null : { version: row.version, seenAt: row.seen_at };
  }
}

/** For a command run without a database: the version is read from answers but kept nowhere. */
export class UnstoredApiVersions extends TangoApiVersionStore {
  recordIfNewer(): Promise<void> {
    return Promise.resolve();
  }

  newest(): Promise<SeenApiVersion | null> {
    return Promise.resolve(null);
  }
}

/**
 * Reads `x-tango-api-version` from every Tango answer (TangoClient calls `observe`) and keeps the newest in the
 * store, writing only when this process sees a version newer than the newest it knows to be stored: once per
 * process and version, never per request. A missing or malformed header is counted and otherwise ignored: it never
 * fails a request.
 */
@Injectable()
export class TangoApiVersionTracker {
  private readonly logger = new Logger(TangoApiVersionTracker.name);
  private readonly baseUrl: string;
  /** The newest version this process stored (or is storing). */
  private recorded: ApiVersion | null = null;
  private readonly unreadable: Counter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: TangoApiVersionStore,
    metrics: MetricsService,
  ) {
    this.baseUrl = config.tango.baseUrl;
    this.unreadable = metrics.counter(
      'tango_sync_tango_api_version_unreadable_total',
      `Tango answers without a readable ${API_VERSION_HEADER} header (recorded as "unknown")`,
    );
  }

  /** One answer's header value; resolves once a newer version is stored (or storing it failed, which is logged). */
  async observe(header: string | readonly string[] | undefined): Promise<void> {
    const version = parseApiVersion(header);
    if (version === null) {
      this.unreadable.inc();
      return;
    }
    const previous = this.recorded;
    if (previous !== null && compareApiVersions(version, previous) <= 0) {
      return;
    }
    this.recorded = version;
    try {
      await this.store.recordIfNewer(this.baseUrl, version);
      this.logger.log({ version: version.text, previous: previous?.text ?? null }, 'Tango API version seen');
    } catch (error) {
      // The next answer tries again; the request itself is unaffected.
      if (this.recorded === version) {
        this.recorded = previous;
      }
      this.logger.warn(
        { version: version.text, error: error instanceof Error ? error.message : String(error) },
        'could not record the Tango API version',
      );
    }
  }

  /** The newest version stored for this Tango (for `/health`). */
  newest(): Promise<SeenApiVersion | null> {
    return this.store.newest(this.baseUrl);
  }
}
