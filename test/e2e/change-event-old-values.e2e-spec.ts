import { Logger } from '@nestjs/common';
import { type AppConfig } from '../../src/config/app-config';
import { APP_CONFIG } from '../../src/config/config.module';
import { type ChangeEvent } from '../../src/events/change-event.schema';
import { TopicCollector, waitFor } from '../integration/events/support/event-harness';
import { type Pipeline, SMALL_SIZES, startPipeline, waitForMirror } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { uniqueSuffix } from '../support/test-config';
import { committedSchema } from '../unit/events/support/event-fixtures';
import { validate } from '../unit/events/support/json-schema-subset';

/** Issue 25: the events on Kafka carry the old values, read from the mirror by the statement that wrote them. */
describe('change events with old and new values, simulator → mirror → Kafka', () => {
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;
  const collector = new TopicCollector();

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    const database = await ScratchDatabase.migrated('old_values');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { sizes: SMALL_SIZES, seed: 25, eventCatalog: 'recipe' },
      {},
      {},
      database.scratch.url,
    );
    const config = pipeline.app.app.get<AppConfig>(APP_CONFIG);
    await collector.start(config.kafka.topicPrefix, `old-values-e2e-${uniqueSuffix()}`, ['contracts']);
  }, 120_000);

  afterAll(async () => {
    await collector.stop();
    await pipeline.close();
    await closeDatabase();
  });

  function truth(ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth('contracts');
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  async function mirroredVersion(id: string): Promise<{ version: number; record: Record<string, unknown> }> {
    const { rows } = await pipeline.db.query<{ version: number; record: Record<string, unknown> }>(
      'SELECT version, record FROM contracts WHERE key = $1',
      [id],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new Error(`${id} is not mirrored`);
    }
    return row;
  }

  /** The event of a record's version as a consumer receives it from Kafka. */
  async function published(id: string, version: number): Promise<ChangeEvent> {
    const find = (): ChangeEvent | undefined =>
      collector.of(new Set([id])).find((received) => received.event.version === version)?.event;
    await waitFor(() => find() !== undefined, 30_000, `the event of ${id} v${version} on Kafka`);
    const event = find()!;
    expect(validate(committedSchema('contracts'), event)).toEqual([]);
    return event;
  }

  async function mirrorChange(id: string): Promise<void> {
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'contracts', truth([id]), 60_000);
  }

  it("publishes an update of a contract's obligated amount with its value before and after", async () => {
    const id = pipeline.sim.control.ids('contracts')[7]!;
    pipeline.sim.control.modifyRecord('contracts', id);
    await mirrorChange(id);
    const obligatedBefore = pipeline.sim.control.getRecord('contracts', id)?.obligated;
    expect(typeof obligatedBefore).toBe('number');

    pipeline.sim.control.modifyRecord('contracts', id, { obligated: 123.45 });
    await mirrorChange(id);
    const { version } = await mirroredVersion(id);
    const event = await published(id, version);

    expect(event.change).toBe('updated');
    expect(event.changed_fields).toContain('obligated');
    expect(event.change === 'updated' ? event.changes?.obligated : undefined).toEqual({
      truncated: false,
      before: obligatedBefore,
      after: 123.45,
    });
    expect(event.data?.obligated).toBe(123.45);
  }, 120_000);

  it('publishes a deletion with the last mirrored record as before', async () => {
    const id = pipeline.sim.control.ids('contracts')[11]!;
    pipeline.sim.control.modifyRecord('contracts', id);
    await mirrorChange(id);
    const last = await mirroredVersion(id);

    // Tango sends nothing for a deletion; the next hint for the record finds it gone.
    pipeline.sim.control.deleteRecord('contracts', id);
    await pipeline.db.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason)
       VALUES ('contracts', $1, 'key', 'record', 'test-hint')`,
      [id],
    );
    await pipeline.db.query(`SELECT pg_notify('fetch_targets', '1')`);
    await waitForMirror(pipeline.db, 'contracts', new Map([[id, 'deleted']]), 60_000);

    const event = await published(id, last.version + 1);
    expect(event).toMatchObject({ change: 'deleted', data: null, changes: null, before_truncated: false });
    expect(event.change === 'deleted' ? event.before : undefined).toEqual(last.record);
  }, 120_000);
});
