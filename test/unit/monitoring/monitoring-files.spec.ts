import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService } from '../../../src/metrics/metrics.service';
import {
  alertGroups,
  dashboard,
  familyOf,
  familiesWithSamples,
  metricNames,
  monitoringExpressions,
  selectors,
} from './monitoring-files';

const SRC_DIR = join(__dirname, '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Metric names the code declares: the process defaults, and every quoted metric-like name in src/. */
async function declaredFamilies(): Promise<Set<string>> {
  const defaults = (await new MetricsService().registry.getMetricsAsJSON()).map((metric) => metric.name);
  const quoted = sourceFiles(SRC_DIR).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/'((?:tango_sync|http|kafka)_[a-z0-9_]+)'/g)].map(
      (match) => match[1] ?? '',
    ),
  );
  return new Set([...defaults, ...quoted]);
}

describe('PromQL tokenizer', () => {
  it('finds metric names, not functions, keywords, label names, strings, ranges or numbers', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{service="a",route=~"x|y"}[$__rate_interval])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNames(
        'max(a_remaining{s="{b}"}) / on() group_left (x) max(a_limit) < 0.1 and bool b offset 5m or vector(1e-3)',
      ),
    ).toEqual(['a_remaining', 'a_limit', 'b']);
    expect(metricNames('sum without (instance) (rate(c_total[5m])) unless ignoring (job) d')).toEqual([
      'c_total',
      'd',
    ]);
  });

  it('keeps the label matchers of each selector', () => {
    expect(selectors('x{a="1",b=~"2"} + y')).toEqual([
      { name: 'x', matchers: 'a="1",b=~"2"' },
      { name: 'y', matchers: '' },
    ]);
  });

  it('refuses unbalanced brackets and unterminated strings', () => {
    expect(() => selectors('sum(rate(x[5m])')).toThrow('unclosed');
    expect(() => selectors('rate(x[5m]))')).toThrow('unbalanced');
    expect(() => selectors('x{a="1}')).toThrow('unterminated');
  });

  it('resolves histogram series to their family and reads families from an exposition', () => {
    const families = new Set(['h', 'c_total']);
    expect(familyOf('h_bucket', families)).toBe('h');
    expect(familyOf('c_total', families)).toBe('c_total');
    expect(familyOf('unknown_count', families)).toBe('unknown_count');
    const text = [
      '# HELP h x',
      '# TYPE h histogram',
      'h_bucket{le="1"} 0',
      'h_sum 0',
      '# TYPE empty counter',
      '# TYPE g gauge',
      'g{a="b"} 1',
    ].join('\n');
    expect([...familiesWithSamples(text)].sort()).toEqual(['g', 'h']);
  });
});

describe('monitoring/prometheus/tango-sync-alerts.yml', () => {
  const groups = alertGroups();
  const rules = groups.flatMap((group) => group.rules);

  it('is a rule file: groups[] with rules[] that each have an alert and an expr', () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      expect(typeof group.name).toBe('string');
      expect(Array.isArray(group.rules) && group.rules.length > 0).toBe(true);
    }
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^TangoSync[A-Z][A-Za-z]+$/);
      expect(typeof rule.expr).toBe('string');
      expect(metricNames(rule.expr).length).toBeGreaterThan(0);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      if (rule.for !== undefined) {
        expect(rule.for).toMatch(/^\d+[smh]$/);
      }
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  it('covers what issue 17 asks to alert on', () => {
    const used = new Set(rules.flatMap((rule) => metricNames(rule.expr)));
    for (const name of [
      'tango_sync_family_status',
      'tango_sync_open_gap_oldest_seconds',
      'kafka_consumergroup_lag',
      'tango_sync_quota_daily_remaining',
      'tango_sync_dead_letters',
      'tango_sync_webhook_rejections_total',
      'tango_sync_backfill_segments_total',
    ]) {
      expect(used).toContain(name);
    }
  });
});

describe('monitoring/grafana/tango-sync-dashboard.json', () => {
  const board = dashboard();
  const panels = board.panels.filter((panel) => panel.type !== 'row');

  it('takes its Prometheus data source as the DS_PROMETHEUS input, on every panel and query', () => {
    expect(board.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe('${DS_PROMETHEUS}');
        expect(metricNames(target.expr).length).toBeGreaterThan(0);
      }
    }
  });

  it('has unique panel ids and a layout without overlaps inside the 24-column grid', () => {
    expect(new Set(board.panels.map((panel) => panel.id)).size).toBe(board.panels.length);
    const cells = new Set<string>();
    for (const { gridPos, title } of board.panels) {
      expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x += 1) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y += 1) {
          expect(cells.has(`${x},${y}`) ? title : undefined).toBeUndefined();
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('has the panels issue 17 asks for', () => {
    const used = new Set(
      panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => metricNames(t.expr))),
    );
    for (const name of [
      'tango_sync_family_status',
      'tango_sync_webhook_deliveries_total',
      'tango_sync_fetch_backlog',
      'tango_sync_open_gaps',
      'tango_sync_dead_letters',
      'tango_sync_relay_lag_seconds_bucket',
      'kafka_consumergroup_lag',
      'tango_sync_quota_daily_remaining',
      'tango_sync_quota_daily_limit',
      'tango_sync_tango_requests_total',
      'http_request_duration_seconds_bucket',
      'tango_sync_db_pool_connections',
      'nodejs_eventloop_lag_seconds',
      'tango_sync_backfill_pages_total',
      'tango_sync_backfill_records_total',
      'tango_sync_backfill_requests_total',
      'tango_sync_backfill_segments_total',
    ]) {
      expect(used).toContain(name);
    }
  });
});

describe('every metric the monitoring files use', () => {
  it('is declared by the code (the e2e test checks that it is also on /metrics)', async () => {
    const declared = await declaredFamilies();
    const unknown = monitoringExpressions().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !declared.has(familyOf(name, declared)))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('is selected with service="tango-sync", so same-named metrics of other services stay out', () => {
    const unscoped = monitoringExpressions().flatMap(({ where, expr }) =>
      selectors(expr)
        .filter((selector) => !/(^|,)\s*service="tango-sync"/.test(selector.matchers))
        .map((selector) => `${where}: ${selector.name}`),
    );
    expect(unscoped).toEqual([]);
  });
});
