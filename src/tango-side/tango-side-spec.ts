import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { resourcesProblems, resourcesSpecSchema } from './resource-settings';
import { shapesProblems, shapesSpecSchema } from './shape-settings';
import { familyDescriptor, familyForQueryType } from '../common/tango/families';
import { tangoContract } from '../tango-contract/tango-contract';

/**
 * Alert frequencies Tango documents: `realtime | daily | weekly | custom` (custom needs a cron expression); one SDK
 * also mentions `hourly`. The exact list is unconfirmed, so every documented value is accepted.
 */
export const ALERT_FREQUENCIES = ['realtime', 'hourly', 'daily', 'weekly', 'custom'] as const;

/** What a name in this file may look like: it becomes part of a Tango object's name. */
const localName = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[^\n\r]+$/, 'must be one line');

const filterValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number()])),
]);

const alertSpecSchema = z
  .strictObject({
    name: localName,
    query_type: z.string().trim().min(1),
    filters: z
      .record(z.string().min(1), filterValue)
      .refine(
        (filters) => Object.keys(filters).length > 0,
        'must name at least one filter (Tango requires it)',
      ),
    frequency: z.enum(ALERT_FREQUENCIES).default('realtime'),
    cron_expression: z.string().trim().min(1).nullable().default(null),
    active: z.boolean().default(true),
  })
  .refine((alert) => alert.frequency !== 'custom' || alert.cron_expression !== null, {
    message: 'frequency "custom" needs a cron_expression',
    path: ['cron_expression'],
  });

/** The Tango side of one deployment, as `tango-sync.yaml` declares it. */
export const tangoSideSpecSchema = z
  .strictObject({
    /**
     * Names this file's objects in Tango: each is named `tango-sync/<owner>: <name>`, and everything named so is
     * this file's to create, change and delete. Anything else in the account is left alone.
     */
    owner: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'lowercase letters, digits, ".", "_" or "-" (at most 40)'),
    endpoint: z.strictObject({
      name: localName.default('webhooks'),
      callback_url: z.url({ protocol: /^https?$/ }),
      active: z.boolean().default(true),
    }),
    alerts: z.array(alertSpecSchema).default([]),
    shapes: shapesSpecSchema,
    resources: resourcesSpecSchema,
  })
  .superRefine((spec, context) => {
    const seen = new Set<string>();
    spec.alerts.forEach((alert, index) => {
      if (seen.has(alert.name)) {
        context.addIssue({
          code: 'custom',
          message: `alert name "${alert.name}" is used twice`,
          path: ['alerts', index, 'name'],
        });
      }
      seen.add(alert.name);
    });
  });

export type TangoSideSpec = z.output<typeof tangoSideSpecSchema>;
export type AlertSpec = TangoSideSpec['alerts'][number];
export type FilterValue = z.output<typeof filterValue>;

/** The file cannot be used: every problem is listed (path in the file, what is wrong), nothing is sent to Tango. */
export class TangoSideSpecError extends Error {
  readonly code = 'TANGO_SIDE.INVALID_SPEC';

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem(s): ${problems.join('; ')}`);
    this.name = 'TangoSideSpecError';
  }
}

/** The prefix that marks an object in Tango as managed by the file of this owner. */
export function managedPrefix(owner: string): string {
  return `tango-sync/${owner}: `;
}

/** The name an object of the file carries in Tango. */
export function tangoName(owner: string, name: string): string {
  return `${managedPrefix(owner)}${name}`;
}

/** Reads, parses and checks a spec file, including every alert's filters against Tango's published contract. */
export function loadTangoSideSpec(file: string, read: (path: string) => string = readUtf8): TangoSideSpec {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new TangoSideSpecError(file, [
      `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new TangoSideSpecError(file, [`not YAML: ${detail ?? ''}`]);
  }
  const parsed = tangoSideSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TangoSideSpecError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
    );
  }
  const problems = [
    ...contractProblems(parsed.data),
    ...shapesProblems(parsed.data.shapes),
    ...resourcesProblems(parsed.data.resources),
  ];
  if (problems.length > 0) {
    throw new TangoSideSpecError(file, problems);
  }
  return parsed.data;
}

/**
 * Checks each alert against Tango's vendored filter contract: its `query_type` must name a family tango-sync
 * mirrors, and each filter must be one of that resource's list filters. An alert Tango would accept but never
 * match (a misspelt filter is ignored by list endpoints) is the failure this prevents.
 */
export function contractProblems(spec: TangoSideSpec): string[] {
  const contract = tangoContract();
  const problems: string[] = [];
  spec.alerts.forEach((alert, index) => {
    const where = `alerts.${index} (${alert.name})`;
    const family = familyForQueryType(alert.query_type);
    if (family === undefined) {
      problems.push(`${where}: query_type "${alert.query_type}" is not a family tango-sync mirrors`);
      return;
    }
    const descriptor = familyDescriptor(family);
    if (alert.query_type !== descriptor.queryType) {
      problems.push(
        `${where}: query_type must be singular: "${descriptor.queryType}", not "${alert.query_type}"`,
      );
    }
    const resource = contract.resource(descriptor.collection);
    for (const filter of Object.keys(alert.filters)) {
      if (!resource.filterParams.has(filter)) {
        const near = [...resource.filterParams].filter((known) => similar(known, filter)).slice(0, 3);
        problems.push(
          `${where}: "${filter}" is not a filter of ${descriptor.collection} in Tango's contract (API ${contract.apiVersion})` +
            (near.length > 0 ? `; did you mean ${near.map((known) => `"${known}"`).join(', ')}?` : ''),
        );
      }
    }
  });
  return problems;
}

function similar(known: string, given: string): boolean {
  const a = known.toLowerCase();
  const b = given.toLowerCase();
  return a.includes(b) || b.includes(a) || editDistance(a, b) <= 2;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}
