import { isValidDate } from '../dataset/dates';
import { FAMILY_SPECS, recordId } from '../dataset/families';
import { piidIndex } from '../dataset/ids';
import { type JsonObject, type JsonValue, isJsonObject } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { FAMILIES, type Family } from '../options';

/** Query values by parameter name (absent or empty means "not given"). */
export type FilterValues = Readonly<Record<string, string | undefined>>;

export type RecordPredicate = (record: JsonObject) => boolean;

/** A filter value Tango refuses: the body of its `400` (DRF style, `{"param": ["message"]}` or `{"error"}`). */
export class FilterValueError extends Error {
  readonly code = 'SIMULATOR.FILTER_VALUE';

  constructor(readonly body: JsonObject) {
    super(JSON.stringify(body));
  }
}

/** One applied filter of a request. */
export interface CompiledFilter {
  /** Stable text of what it filters on (for the count cache). */
  readonly key: string;
  readonly predicate: RecordPredicate;
  /** The only indices that can match (id and PIID filters), so lists need not scan the family. */
  readonly candidates?: (dataset: Dataset, family: Family) => number[];
}

/** A list filter of Tango's contract that the simulator applies. */
export interface FilterDef {
  /** Contract parameters it reads. */
  readonly params: readonly string[];
  /** Undefined when none of its parameters is given (and it has no default). */
  compile(values: FilterValues, withDefaults: boolean): CompiledFilter | undefined;
}

function given(values: FilterValues, param: string): string | undefined {
  const raw = values[param];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** Every scalar at a dotted path; arrays on the way are walked element by element. */
export function valuesAt(value: JsonValue | undefined, path: readonly string[]): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) => valuesAt(item, path));
  }
  const [head, ...rest] = path;
  if (head === undefined) {
    return isJsonObject(value) ? [] : [String(value)];
  }
  return isJsonObject(value) ? valuesAt(value[head], rest) : [];
}

function splitPath(path: string): string[] {
  return path.split('.');
}

function alternatives(raw: string, split: boolean): string[] {
  const parts = split ? raw.split(/[|,]/) : [raw];
  return parts.map((part) => part.trim().toUpperCase()).filter((part) => part !== '');
}

/** `a|b` list of record ids (`key`, `opportunity_id`, `grant_id`, forecast `id`). */
function idList(param: string, family: Family): FilterDef {
  return {
    params: [param],
    compile(values) {
      const raw = given(values, param);
      if (raw === undefined) {
        return undefined;
      }
      const ids = [
        ...new Set(
          raw
            .split('|')
            .map((id) => id.trim())
            .filter((id) => id !== ''),
        ),
      ];
      const wanted = new Set(ids);
      return {
        key: `${param}=${ids.join('|')}`,
        predicate: (record) => wanted.has(recordIdOf(family, record)),
        candidates: (dataset) =>
          ids.map((id) => dataset.resolve(family, id)).filter((index) => index !== undefined),
      };
    },
  };
}

function recordIdOf(family: Family, record: JsonObject): string {
  return recordId(FAMILY_SPECS[family], record);
}

/** Award `piid`: exact; the PIID encodes the record index, so no scan is needed. */
function piidFilter(): FilterDef {
  return {
    params: ['piid'],
    compile(values) {
      const piid = given(values, 'piid');
      if (piid === undefined) {
        return undefined;
      }
      return {
        key: `piid=${piid}`,
        predicate: (record) => record.piid === piid,
        candidates: (dataset, family) => {
          const index = piidIndex(piid);
          return index === undefined || dataset.get(family, index)?.piid !== piid ? [] : [index];
        },
      };
    },
  };
}

/** Entity `uei`: exact, case-insensitive. */
function ueiFilter(): FilterDef {
  return {
    params: ['uei'],
    compile(values) {
      const uei = given(values, 'uei')?.toUpperCase();
      if (uei === undefined) {
        return undefined;
      }
      return {
        key: `uei=${uei}`,
        predicate: (record) => typeof record.uei === 'string' && record.uei.toUpperCase() === uei,
        candidates: (dataset) => {
          const index = dataset.resolve('entities', uei);
          return index === undefined ? [] : [index];
        },
      };
    },
  };
}

function dateValue(values: FilterValues, param: string): string | undefined {
  const raw = given(values, param);
  if (raw !== undefined && !isValidDate(raw)) {
    throw new FilterValueError({ [param]: ['Enter a valid date.'] });
  }
  return raw;
}

/** Inclusive day range (`YYYY-MM-DD`) on a date or datetime field. */
function dateRange(after: string, before: string, path: string): FilterDef {
  const parts = splitPath(path);
  return {
    params: [after, before],
    compile(values) {
      const from = dateValue(values, after);
      const to = dateValue(values, before);
      if (from !== undefined && to !== undefined && from > to) {
        throw new FilterValueError({
          error: `Invalid date range: ${after} (${from}) is after ${before} (${to}).`,
        });
      }
      if (from === undefined && to === undefined) {
        return undefined;
      }
      return {
        key: `${after}=${from ?? ''}&${before}=${to ?? ''}`,
        predicate: (record) =>
          valuesAt(record, parts).some((value) => {
            const day = value.slice(0, 10);
            return (
              value.length >= 10 && (from === undefined || day >= from) && (to === undefined || day <= to)
            );
          }),
      };
    },
  };
}

/** One day (`award_date=2026-01-02`). */
function dateExact(param: string, path: string): FilterDef {
  const parts = splitPath(path);
  return {
    params: [param],
    compile(values) {
      const day = dateValue(values, param);
      if (day === undefined) {
        return undefined;
      }
      return {
        key: `${param}=${day}`,
        predicate: (record) => valuesAt(record, parts).some((value) => value.slice(0, 10) === day),
      };
    },
  };
}

/** Case-insensitive equality with any value at any of `paths`; `|` or `,` separate alternatives. */
function oneOf(param: string, paths: readonly string[], split = true): FilterDef {
  const parsed = paths.map(splitPath);
  return {
    params: [param],
    compile(values) {
      const raw = given(values, param);
      if (raw === undefined) {
        return undefined;
      }
      const wanted = new Set(alternatives(raw, split));
      return {
        key: `${param}=${[...wanted].sort().join('|')}`,
        predicate: (record) =>
          parsed.some((path) => valuesAt(record, path).some((value) => wanted.has(value.toUpperCase()))),
      };
    },
  };
}

/** Case-insensitive substring of any value at any of `paths` (names). */
function contains(param: string, paths: readonly string[]): FilterDef {
  const parsed = paths.map(splitPath);
  return {
    params: [param],
    compile(values) {
      const raw = given(values, param)?.toUpperCase();
      if (raw === undefined) {
        return undefined;
      }
      return {
        key: `${param}~${raw}`,
        predicate: (record) =>
          parsed.some((path) => valuesAt(record, path).some((value) => value.toUpperCase().includes(raw))),
      };
    },
  };
}

/** Case-insensitive prefix (`naics_starts_with=54`). */
function startsWith(param: string, path: string): FilterDef {
  const parts = splitPath(path);
  return {
    params: [param],
    compile(values) {
      const raw = given(values, param)?.toUpperCase();
      if (raw === undefined) {
        return undefined;
      }
      return {
        key: `${param}^${raw}`,
        predicate: (record) => valuesAt(record, parts).some((value) => value.toUpperCase().startsWith(raw)),
      };
    },
  };
}

function numberValue(values: FilterValues, param: string): number | undefined {
  const raw = given(values, param);
  if (raw === undefined) {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new FilterValueError({ [param]: ['Enter a number.'] });
  }
  return value;
}

/** Exact number and inclusive `_gte`/`_lte` bounds on a numeric field. */
function numberFilter(path: string, exact: string | undefined, gte: string, lte: string): FilterDef {
  const parts = splitPath(path);
  return {
    params: exact === undefined ? [gte, lte] : [exact, gte, lte],
    compile(values) {
      const equal = exact === undefined ? undefined : numberValue(values, exact);
      const low = numberValue(values, gte);
      const high = numberValue(values, lte);
      if (equal === undefined && low === undefined && high === undefined) {
        return undefined;
      }
      return {
        key: `${path}:${equal ?? ''}:${low ?? ''}:${high ?? ''}`,
        predicate: (record) =>
          valuesAt(record, parts).some((text) => {
            const value = Number(text);
            return (
              (equal === undefined || value === equal) &&
              (low === undefined || value >= low) &&
              (high === undefined || value <= high)
            );
          }),
      };
    },
  };
}

/** `true`/`false`; `fallback` is Tango's default when the parameter is absent (opportunities: active only). */
function boolFilter(param: string, path: string, fallback?: boolean): FilterDef {
  return {
    params: [param],
    compile(values, withDefaults) {
      const raw = given(values, param)?.toLowerCase();
      const parsed =
        raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : undefined;
      const wanted = parsed ?? (withDefaults ? fallback : undefined);
      if (wanted === undefined) {
        return undefined;
      }
      return { key: `${param}=${wanted}`, predicate: (record) => record[path] === wanted };
    },
  };
}

const AWARD_COMMON: readonly FilterDef[] = [
  piidFilter(),
  dateExact('award_date', 'award_date'),
  dateRange('award_date_gte', 'award_date_lte', 'award_date'),
  numberFilter('fiscal_year', 'fiscal_year', 'fiscal_year_gte', 'fiscal_year_lte'),
  oneOf('awarding_agency', ['awarding_office.agency_code', 'awarding_office.agency_name']),
  oneOf('funding_agency', ['funding_office.agency_code', 'funding_office.agency_name']),
  oneOf('psc', ['psc_code']),
  oneOf('uei', ['recipient.uei']),
  oneOf('recipient', ['recipient.uei', 'recipient.display_name'], false),
  dateRange('pop_start_date_gte', 'pop_start_date_lte', 'period_of_performance.start_date'),
];

const POP_END = dateRange('pop_end_date_gte', 'pop_end_date_lte', 'period_of_performance.current_end_date');

/**
 * The list filters the simulator applies, per family. Every parameter here is a filter of Tango's contract for the
 * family (a unit test checks it); the contract's other filters are accepted and not applied (see docs/simulator.md).
 */
export const FAMILY_FILTERS: Readonly<Record<Family, readonly FilterDef[]>> = {
  contracts: [
    idList('key', 'contracts'),
    ...AWARD_COMMON,
    POP_END,
    oneOf('naics', ['naics_code']),
    oneOf('set_aside', ['set_aside.code']),
    oneOf('solicitation_identifier', ['solicitation_identifier']),
    oneOf('award_type', ['award_type.code']),
    numberFilter('obligated', undefined, 'obligated_gte', 'obligated_lte'),
  ],
  idvs: [
    idList('key', 'idvs'),
    ...AWARD_COMMON,
    oneOf('naics', ['naics_code']),
    oneOf('set_aside', ['set_aside.code']),
    oneOf('solicitation_identifier', ['solicitation_identifier']),
    oneOf('idv_type', ['idv_type.code']),
    dateRange('last_date_to_order_gte', 'last_date_to_order_lte', 'period_of_performance.last_date_to_order'),
  ],
  otas: [idList('key', 'otas'), ...AWARD_COMMON, POP_END],
  otidvs: [idList('key', 'otidvs'), ...AWARD_COMMON, POP_END],
  opportunities: [
    idList('opportunity_id', 'opportunities'),
    boolFilter('active', 'active', true),
    oneOf('naics', ['naics_code']),
    oneOf('psc', ['psc_code']),
    oneOf('set_aside', ['set_aside.code']),
    oneOf('solicitation_number', ['solicitation_number']),
    oneOf('agency', ['office.agency_code', 'office.agency_name']),
    oneOf('notice_type', ['meta.notice_type.code']),
    dateRange('first_notice_date_after', 'first_notice_date_before', 'first_notice_date'),
    dateRange('last_notice_date_after', 'last_notice_date_before', 'last_notice_date'),
    dateRange('response_deadline_after', 'response_deadline_before', 'response_deadline'),
  ],
  notices: [
    boolFilter('active', 'active'),
    oneOf('naics', ['naics_code']),
    oneOf('psc', ['psc_code']),
    oneOf('set_aside', ['set_aside.code']),
    oneOf('solicitation_number', ['solicitation_number']),
    oneOf('agency', ['office.agency_code', 'office.agency_name']),
    oneOf('notice_type', ['meta.notice_type.code']),
    dateRange('posted_date_after', 'posted_date_before', 'posted_date'),
    dateRange('response_deadline_after', 'response_deadline_before', 'response_deadline'),
  ],
  entities: [
    ueiFilter(),
    contains('name', ['legal_business_name', 'dba_name']),
    oneOf('state', ['physical_address.state_or_province_code']),
    oneOf('zip_code', ['physical_address.zip_code']),
    oneOf('naics', ['primary_naics', 'naics_codes.code']),
    oneOf('psc', ['psc_codes']),
    oneOf('cage_code', ['cage_code']),
    oneOf('cage', ['cage_code']),
    oneOf('purpose_of_registration_code', ['purpose_of_registration.code']),
    oneOf('socioeconomic', ['business_types.code', 'sba_business_types.code']),
    numberFilter(
      'federal_obligations.total.awards_obligated',
      undefined,
      'total_awards_obligated_gte',
      'total_awards_obligated_lte',
    ),
  ],
  grants: [
    idList('grant_id', 'grants'),
    dateRange('posted_date_after', 'posted_date_before', 'important_dates.posted_date'),
    dateRange('response_date_after', 'response_date_before', 'important_dates.response_date'),
    oneOf('status', ['status.code']),
    oneOf('opportunity_number', ['opportunity_number']),
    oneOf('agency', ['agency_code']),
    oneOf('cfda_number', ['cfda_numbers.number']),
    oneOf('applicant_types', ['applicant_types.code']),
    oneOf('funding_categories', ['funding_categories.code']),
    oneOf('funding_instruments', ['funding_instruments.code']),
  ],
  forecasts: [
    idList('id', 'forecasts'),
    dateRange('modified_after', 'modified_before', 'modified'),
    dateRange('award_date_after', 'award_date_before', 'anticipated_award_date'),
    oneOf('source_system', ['source_system']),
    oneOf('naics_code', ['naics_code']),
    startsWith('naics_starts_with', 'naics_code'),
    numberFilter('fiscal_year', 'fiscal_year', 'fiscal_year_gte', 'fiscal_year_lte'),
    oneOf('status', ['status'], false),
    oneOf('agency', ['agency']),
  ],
};

/** Every contract filter parameter the simulator applies for the family. */
export function appliedFilterParams(family: Family): string[] {
  return FAMILY_FILTERS[family].flatMap((def) => def.params);
}

/** Compiles the family's filters against query values (list requests apply Tango's defaults too). */
export function compileFilters(
  family: Family,
  values: FilterValues,
  withDefaults: boolean,
): CompiledFilter[] {
  return FAMILY_FILTERS[family]
    .map((def) => def.compile(values, withDefaults))
    .filter((filter) => filter !== undefined);
}

/** An alert filter value as query text (`true`, `541512`, arrays joined with `|`); objects are not filters. */
function queryText(value: JsonValue): string | undefined {
  if (value === null || isJsonObject(value)) {
    return undefined;
  }
  if (Array.isArray(value)) {
    const parts = value.map((item) => queryText(item)).filter((part) => part !== undefined);
    return parts.length === 0 ? undefined : parts.join('|');
  }
  return String(value);
}

/**
 * A predicate for an alert's filters: the family's contract filters the simulator applies, with Tango's list
 * semantics (so an alert matches exactly what the list with the same parameters returns, defaults aside). Keys
 * that are not filters of the family's contract are ignored, as Tango ignores unknown list parameters, and so is a
 * filter whose value Tango would refuse.
 */
export function alertPredicate(family: Family, filters: JsonObject): RecordPredicate {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(filters)) {
    const text = queryText(value);
    if (text !== undefined) {
      values[key] = text;
    }
  }
  const predicates: RecordPredicate[] = [];
  for (const def of FAMILY_FILTERS[family]) {
    try {
      const compiled = def.compile(values, false);
      if (compiled !== undefined) {
        predicates.push(compiled.predicate);
      }
    } catch (error) {
      if (!(error instanceof FilterValueError)) {
        throw error;
      }
    }
  }
  return (record) => predicates.every((predicate) => predicate(record));
}

/** For tests and docs: every family's applied filter parameters. */
export function appliedFilters(): Record<Family, string[]> {
  return Object.fromEntries(FAMILIES.map((family) => [family, appliedFilterParams(family)])) as Record<
    Family,
    string[]
  >;
}
