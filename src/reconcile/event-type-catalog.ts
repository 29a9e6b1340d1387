import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TangoWebhooksApi } from '../tango/tango-webhooks-api';

/**
 * The webhook event types Tango sends today, read from `GET /api/webhooks/event-types/` (Tango's SDKs hardcode
 * none) at start and on every alert poll, and kept in `tango_event_types`. The health report compares them with
 * what the delivery parser knows, so an event type the worker cannot use is seen before its deliveries pile up.
 */
@Injectable()
export class EventTypeCatalog {
  private readonly logger = new Logger(EventTypeCatalog.name);

  constructor(
    private readonly webhooks: TangoWebhooksApi,
    private readonly dataSource: DataSource,
  ) {}

  /** Reads Tango's list and stores it; returns the event types listed. */
  async refresh(): Promise<string[]> {
    const types = (await this.webhooks.eventTypes()).event_types;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO tango_event_types (event_type, description, schema_version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
         ON CONFLICT (event_type) DO UPDATE
           SET description = EXCLUDED.description, schema_version = EXCLUDED.schema_version,
               last_listed_at = clock_timestamp(), delisted_at = NULL`,
        [
          types.map((type) => type.event_type),
          types.map((type) => type.description ?? null),
          types.map((type) => type.schema_version ?? null),
        ],
      );
      await manager.query(
        `UPDATE tango_event_types SET delisted_at = clock_timestamp()
          WHERE delisted_at IS NULL AND NOT (event_type = ANY($1::text[]))`,
        [types.map((type) => type.event_type)],
      );
    });
    this.logger.debug({ eventTypes: types.length }, 'Tango event types read');
    return types.map((type) => type.event_type);
  }
}
