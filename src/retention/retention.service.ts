import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { abortableSleep } from '../common/abortable-sleep';
import { MetricsService } from '../metrics/metrics.service';
import { RETENTION_TABLES, type RetentionTable, RetentionRepository } from './retention.repository';
import { RETENTION_SETTINGS, type RetentionSettings } from './retention-settings';

/** Rows pruned per table in one run; tables kept forever (0 days) are absent. */
export type RetentionOutcome = Partial<Record<RetentionTable, number>>;

/** One table's rule: the days that apply, and one batch of its delete. */
interface RetentionRule {
  readonly table: RetentionTable;
  readonly days: number;
  readonly pruneBatch: (limit: number) => Promise<number>;
}

/**
 * Keeps the database bounded: for each table with a retention period, deletes rows that are old enough and no
 * longer needed (see RetentionRepository for what is always kept) in batches of RETENTION_BATCH_SIZE, one short
 * statement each with RETENTION_BATCH_PAUSE_MS between them, so ingest never queues behind it. Counts rows
 * pruned per table (`tango_sync_retention_pruned_rows_total`).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);
  private readonly pruned: Counter<'table'>;

  constructor(
    private readonly repository: RetentionRepository,
    @Inject(RETENTION_SETTINGS) private readonly settings: RetentionSettings,
    metrics: MetricsService,
  ) {
    this.pruned = metrics.counter(
      'tango_sync_retention_pruned_rows_total',
      'Rows deleted by the retention job, per table',
      ['table'],
    );
  }

  /** One retention run over every table; `signal` stops it between batches (shutdown). */
  async run(signal: AbortSignal = new AbortController().signal): Promise<RetentionOutcome> {
    const outcome: RetentionOutcome = {};
    for (const rule of this.rules()) {
      if (rule.days <= 0) {
        continue;
      }
      outcome[rule.table] = await this.pruneTable(rule, signal);
    }
    this.logger.log({ pruned: outcome }, 'retention run finished');
    return outcome;
  }

  /** Batches until one comes back short (nothing more is old enough) or the run is aborted. */
  private async pruneTable(rule: RetentionRule, signal: AbortSignal): Promise<number> {
    let total = 0;
    while (!signal.aborted) {
      const deleted = await rule.pruneBatch(this.settings.batchSize);
      total += deleted;
      this.pruned.inc({ table: rule.table }, deleted);
      if (deleted < this.settings.batchSize) {
        break;
      }
      await abortableSleep(this.settings.batchPauseMs, signal);
    }
    return total;
  }

  private rules(): RetentionRule[] {
    const { days } = this.settings;
    const rules: Record<RetentionTable, RetentionRule> = {
      change_events: {
        table: 'change_events',
        days: days.changeEvents,
        pruneBatch: (limit) => this.repository.pruneChangeEvents(days.changeEvents, limit),
      },
      webhook_deliveries: {
        table: 'webhook_deliveries',
        days: Math.max(days.deliveries, days.unprocessedDeliveries),
        pruneBatch: (limit) =>
          this.repository.pruneDeliveries(days.deliveries, days.unprocessedDeliveries, limit),
      },
      fetch_targets: {
        table: 'fetch_targets',
        days: days.fetchTargets,
        pruneBatch: (limit) => this.repository.pruneFetchTargets(days.fetchTargets, limit),
      },
      fetch_failures: {
        table: 'fetch_failures',
        days: days.fetchFailures,
        pruneBatch: (limit) => this.repository.pruneFetchFailures(days.fetchFailures, limit),
      },
      webhook_rejections: {
        table: 'webhook_rejections',
        days: days.rejections,
        pruneBatch: (limit) => this.repository.pruneRejections(days.rejections, limit),
      },
      alert_observations: {
        table: 'alert_observations',
        days: days.alertObservations,
        pruneBatch: (limit) => this.repository.pruneAlertObservations(days.alertObservations, limit),
      },
      record_history: {
        table: 'record_history',
        days: days.history,
        pruneBatch: (limit) => this.repository.pruneHistory(days.history, limit),
      },
    };
    return RETENTION_TABLES.map((table) => rules[table]);
  }
}
