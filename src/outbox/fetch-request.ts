import { z } from 'zod';
import { FAMILIES, ID_KINDS } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';

export const FETCH_REQUEST_TOPIC = 'fetch.requests.v1';
export const FETCH_DEAD_LETTER_TOPIC = 'fetch.dead-letter.v1';

export const PRIORITIES = ['live', 'sweep', 'backfill'] as const;

/** A fetch request on Kafka: one record (or one alert sweep) to bring into the mirror. */
export const fetchRequestSchema = z.object({
  schema: z.literal('tango-sync.fetch-request.v1'),
  targetId: z.string().regex(/^\d+$/),
  resource: z.enum(RESOURCE_FAMILIES),
  recordId: z.string().min(1).max(300),
  idKind: z.enum([...ID_KINDS, 'alert']),
  kind: z.enum(['record', 'sweep']),
  priority: z.enum(PRIORITIES),
  reason: z.string(),
  hintedAt: z.iso.datetime({ offset: true }),
  hintCount: z.number().int().positive(),
  attempt: z.number().int().nonnegative(),
  deliveryIds: z.array(z.string()),
  sweep: z
    .object({
      alertId: z.string().nullable(),
      queryType: z.string(),
      filters: z.record(z.string(), z.unknown()),
      checkedAt: z.string().nullable(),
      /** The ids an alert named, for a resource brought in by its refresh poll (no usable route by id). */
      ids: z.array(z.string()).optional(),
    })
    .loose()
    .nullable(),
});

export type FetchRequest = z.infer<typeof fetchRequestSchema>;

export function priorityName(priority: number): FetchRequest['priority'] {
  return PRIORITIES[Math.max(0, Math.min(PRIORITIES.length - 1, priority))] ?? 'live';
}

/**
 * What places a fetch request on a partition of the fetch topic (its key stays `resource:id`). Families fetched
 * through id-list filters keep all their requests on one partition (slot `n` is partition `n % partitions`, not a
 * hash, so two large families never collide): a burst's ids then reach one consumer batch and cost as few list
 * calls as the 100-id limit allows, whichever group member holds the partition. Families fetched by detail calls
 * (one request per record anyway) spread by record, for parallelism. Either way a record always goes to one
 * partition, so its requests are handled in order.
 */
export function fetchRequestPartitionSlot(resource: ResourceFamily): number | undefined {
  return FAMILIES[resource].partitionSlot;
}
