import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Reads the ready-made monitoring (monitoring/) and names the metrics it uses, for the unit tests (structure,
 * names declared in src) and the e2e test (names on a live /metrics). No promtool here: a small PromQL tokenizer
 * finds the metric names, which is all these tests need.
 */

export const MONITORING_DIR = join(__dirname, '../../../monitoring');
export const DASHBOARD_FILE = join(MONITORING_DIR, 'grafana/tango-sync-dashboard.json');
export const ALERTS_FILE = join(MONITORING_DIR, 'prometheus/tango-sync-alerts.yml');

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly targets?: readonly DashboardTarget[];
}

export interface Dashboard {
  readonly __inputs: readonly { readonly name: string; readonly type: string; readonly pluginId: string }[];
  readonly title: string;
  readonly uid: string;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly definition?: string }[] };
}

/** Where an expression comes from (for failure messages) and the expression. */
export interface SourcedExpr {
  readonly where: string;
  readonly expr: string;
}

/** A vector selector in an expression: the metric name and its label matchers (`{…}` without braces, or ''). */
export interface Selector {
  readonly name: string;
  readonly matchers: string;
}

export function alertGroups(): { name: string; rules: AlertRule[] }[] {
  const parsed = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups?: unknown };
  if (!Array.isArray(parsed.groups)) {
    throw new Error(`${ALERTS_FILE}: no groups[]`);
  }
  return parsed.groups as { name: string; rules: AlertRule[] }[];
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every PromQL expression of the alert rules, the dashboard's panels and its template variables. */
export function monitoringExpressions(): SourcedExpr[] {
  const rules = alertGroups().flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  );
  const board = dashboard();
  const panels = board.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}" ${target.refId}`,
      expr: target.expr,
    })),
  );
  const variables = board.templating.list.flatMap((variable) => {
    // label_values(<selector>, <label>): only the selector is PromQL.
    const selector = /^label_values\((.*),\s*\w+\)$/.exec(variable.definition ?? '')?.[1];
    return selector === undefined ? [] : [{ where: `variable ${variable.name}`, expr: selector }];
  });
  return [...rules, ...panels, ...variables];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** Aggregation operators: `sum by (x) (…)` puts the grouping between the name and its parenthesis. */
const AGGREGATORS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Keywords followed by a parenthesised list of label names, not of expressions. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const CLOSING: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** Index just past the string literal that starts at `start` (PromQL: "…", '…' with escapes, `…` raw). */
function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let index = start + 1;
  while (index < expr.length && expr[index] !== quote) {
    index += quote !== '`' && expr[index] === '\\' ? 2 : 1;
  }
  if (index >= expr.length) {
    throw new Error(`unterminated string in: ${expr}`);
  }
  return index + 1;
}

/** Index just past the bracket that closes the one at `start` (strings inside are skipped). */
function skipGroup(expr: string, start: number): number {
  const stack: string[] = [];
  let index = start;
  while (index < expr.length) {
    const char = expr.charAt(index);
    if (char === '"' || char === "'" || char === '`') {
      index = skipString(expr, index);
      continue;
    }
    const closing = CLOSING[char];
    if (closing !== undefined) {
      stack.push(closing);
    } else if (char === ')' || char === ']' || char === '}') {
      if (stack.pop() !== char) {
        throw new Error(`unbalanced "${char}" at ${index} in: ${expr}`);
      }
      if (stack.length === 0) {
        return index + 1;
      }
    }
    index += 1;
  }
  throw new Error(`unclosed "${expr.charAt(start)}" at ${start} in: ${expr}`);
}

function nextNonSpace(expr: string, from: number): number {
  let index = from;
  while (index < expr.length && /\s/.test(expr.charAt(index))) {
    index += 1;
  }
  return index;
}

/**
 * The vector selectors of a PromQL expression, in order: identifiers that are neither functions (followed by
 * `(`), keywords, label names (in `by (…)`, `on (…)`, …) nor inside label matchers, ranges or strings. Throws on
 * unbalanced brackets or unterminated strings.
 */
export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  let index = 0;
  const depth: string[] = [];
  while (index < expr.length) {
    const char = expr.charAt(index);
    if (char === '"' || char === "'" || char === '`') {
      index = skipString(expr, index);
    } else if (char === '{') {
      // A selector without a name (`{__name__="…"}`) names no metric this test can check.
      index = skipGroup(expr, index);
    } else if (char === '[') {
      index = skipGroup(expr, index);
    } else if (char === '(') {
      depth.push(')');
      index += 1;
    } else if (char === ')') {
      if (depth.pop() !== ')') {
        throw new Error(`unbalanced ")" at ${index} in: ${expr}`);
      }
      index += 1;
    } else if (char === ']' || char === '}') {
      throw new Error(`unbalanced "${char}" at ${index} in: ${expr}`);
    } else if (/[0-9.]/.test(char)) {
      // A number (0.99, 1e-3, 0x1f) or the duration after `offset` (5m): never a metric name.
      index += /^(?:0x[0-9a-f]+|[0-9.]+(?:e[+-]?[0-9]+)?[a-z]*)/i.exec(expr.slice(index))?.[0].length ?? 1;
    } else if (char === '$') {
      index += /^\$\w*/.exec(expr.slice(index))?.[0].length ?? 1;
    } else if (/[a-zA-Z_:]/.test(char)) {
      const word = /^[a-zA-Z_:][\w:]*/.exec(expr.slice(index))?.[0] ?? char;
      const after = nextNonSpace(expr, index + word.length);
      if (LABEL_LIST_KEYWORDS.has(word.toLowerCase())) {
        index = expr.charAt(after) === '(' ? skipGroup(expr, after) : after;
      } else if (
        KEYWORDS.has(word.toLowerCase()) ||
        AGGREGATORS.has(word.toLowerCase()) ||
        expr.charAt(after) === '('
      ) {
        index += word.length;
      } else if (expr.charAt(after) === '{') {
        const end = skipGroup(expr, after);
        found.push({ name: word, matchers: expr.slice(after + 1, end - 1) });
        index = end;
      } else {
        found.push({ name: word, matchers: '' });
        index += word.length;
      }
    } else {
      index += 1;
    }
  }
  if (depth.length > 0) {
    throw new Error(`unclosed "(" in: ${expr}`);
  }
  return found;
}

export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((selector) => selector.name))];
}

const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** The metric family a referenced series name belongs to: `x_bucket` → `x` when `x` is a known family. */
export function familyOf(name: string, families: ReadonlySet<string>): string {
  if (families.has(name)) {
    return name;
  }
  const suffix = SERIES_SUFFIXES.find(
    (end) => name.endsWith(end) && families.has(name.slice(0, -end.length)),
  );
  return suffix === undefined ? name : name.slice(0, -suffix.length);
}

/**
 * The metric families that have at least one sample in a Prometheus text exposition (a family declared by
 * `# TYPE` but without a sample is absent for Prometheus, so it does not count).
 */
export function familiesWithSamples(exposition: string): Set<string> {
  const declared = new Set(
    [...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)]
      .map((match) => match[1])
      .filter((name) => name !== undefined),
  );
  const sampled = new Set<string>();
  for (const match of exposition.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) {
    const name = match[1];
    if (name !== undefined) {
      sampled.add(familyOf(name, declared));
    }
  }
  return sampled;
}

/**
 * The value of the sample `name` whose labels include all of `labels` (in any order), or undefined; the first one
 * when several match.
 */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const match of exposition.matchAll(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/gm)) {
    if (match[1] !== name) {
      continue;
    }
    const present = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}
