import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Reads a gauge's current value(s) at scrape time; `this` is the gauge (reset it first when children may go away). */
export type GaugeCollector<L extends string> = (this: Gauge<L>) => void | Promise<void>;

/**
 * One Prometheus registry per application instance (so tests can run several apps in one process). Modules
 * declare their metrics through it; GET /metrics exposes them with the process defaults.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    this.registry.setDefaultLabels({ service: 'tango-sync' });
    // No prefix: `process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, … keep the names stock Node.js
    // dashboards and alerts query; the `service` label tells this worker apart.
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge set by its owner, or read at scrape time by `collect`. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: GaugeCollector<L>,
  ): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }
}
