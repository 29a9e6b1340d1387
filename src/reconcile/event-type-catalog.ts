import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { TangoClient } from '../tango/tango-client';
import { TangoRequestError } from '../tango/tango-errors';

const eventTypesSchema = z.looseObject({
  event_types: z.array(
    z.looseObject({
      event_type: z.string().min(1),
      description: z.string().nullable().optional(),
      schema_version: z.coerce.number().int().nullable().optional(),
    }),
  ),
});

/**
 * The webhook event types Tango sends today, read from `GET /api/webhooks/event-types/` (Tango's SDKs hardcode
 * none) at start and on every alert poll, and kept in `tango_event_types`. The health report compares them with
 * what the delivery parser knows, so an event type the worker cannot use is seen before its deliveries pile up.
 */
@Injectable()
export class EventTypeCatalog {
  private readonly logger = new Logger(EventTypeCatalog.name);

  constructor(
    private readonly tango: TangoClient,
    private readonly dataSource: DataSource,
  ) {}

  /** Reads Tango's list and stores it; returns the event types listed. */
  async refresh(): Promise<string[]> {
    const answer = await this.tango.get({
      path: '/api/webhooks/event-types/',
      priority: 'sweep',
      route: 'webhooks.event-types',
    });
    const parsed = eventTypesSchema.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success) {
      throw new TangoRequestError(
        'invalid_body',
        `event types answer is not a list (${answer.status})`,
        answer.status,
        true,
      );
    }
    const types = parsed.data.event_types;
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
