import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnalystColumn,
  type AnalystView,
  analystView,
  sqlTypeOfScalar,
} from '../../../src/analyst-views/analyst-columns';
import { MAX_IDENTIFIER_BYTES } from '../../../src/analyst-views/column-names';
import { allFamilies, column, FAMILIES } from '../../../src/common/tango/families';
import {
  type ObservedType,
  loadTangoContract,
  tangoContract,
} from '../../../src/tango-contract/tango-contract';

const scalar = (type: string, isList = false): ObservedType => ({
  kind: 'scalar',
  type,
  isList,
  isOptional: true,
});

/** A made-up resource `things`, to reach every branch: unknown types, `*`, nested expands, lists, long names. */
function syntheticView(): AnalystView {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-views-'));
  const long = 'an_extremely_long_field_name_that_goes_on_and_on_past_the_postgres_limit';
  const runtime = {
    filter_params: [],
    filter_params_detail: {},
    pagination: { class: 'KeysetPagination', max_page_size: 100 },
    shape_supported: true,
    shape_tier_required: null,
    shape: {
      fields: ['key', 'amount', 'mystery', 'tags', 'status', long],
      expands: {
        office: { fields: ['code', 'name'], expands: { parent: { fields: ['code'], expands: {} } } },
        raw: { fields: ['*'], expands: {} },
        lines: { fields: ['n'], expands: {} },
        status: { fields: ['code', 'description'], expands: {} },
      },
    },
  };
  const observed = {
    things: {
      paths: {
        amount: { kind: 'scalar', type: 'Decimal' },
        tags: { kind: 'scalar', type: 'str', is_list: true },
        status: { kind: 'code_object' },
        'office.code': { kind: 'scalar', type: 'int' },
        'office.parent.code': { kind: 'scalar', type: 'str' },
        lines: { kind: 'object', is_list: true },
        [long]: { kind: 'scalar', type: 'int' },
      },
    },
  };
  const contract = join(dir, 'contract.json');
  const observedFile = join(dir, 'observed.json');
  writeFileSync(
    contract,
    JSON.stringify({
      meta: { api_version: '9.9.9', schema_version: 2 },
      resources: { things: { resource_key: 'things', runtime } },
    }),
  );
  writeFileSync(observedFile, JSON.stringify(observed));
  const descriptor = {
    ...FAMILIES.contracts,
    collection: 'things',
    columns: [column('office_code', 'text', 'office.code', { indexed: true })],
  };
  return analystView(loadTangoContract({ contract, observed: observedFile }), descriptor);
}

const byPath = (view: AnalystView): Map<string | null, AnalystColumn> =>
  new Map(view.columns.map((entry) => [entry.path, entry]));

describe('analyst view columns', () => {
  it.each([
    ['fiscal_year', scalar('int'), 'bigint'],
    ['awarding_office.agency_code', scalar('int'), 'text'],
    ['physical_address.zipCode', scalar('int'), 'text'],
    ['obligated', scalar('Decimal'), 'numeric'],
    ['active', scalar('bool'), 'boolean'],
    ['award_date', scalar('date'), 'date'],
    ['posted_date', scalar('datetime'), 'timestamptz'],
    ['title', scalar('str'), 'text'],
    ['never_seen', undefined, 'text'],
  ])('types %s (%j) as %s', (path, observed, type) => {
    expect(sqlTypeOfScalar(path, observed)).toBe(type);
  });

  it('turns every kind of contract path into the right columns', () => {
    const columns = byPath(syntheticView());
    expect(columns.get('key')).toMatchObject({ name: 'key', type: 'text', expression: 'm."key"' });
    expect(columns.get('amount')).toMatchObject({
      type: 'numeric',
      expression: `analyst.as_numeric(m.record #> '{"amount"}')`,
    });
    expect(columns.get('mystery')).toMatchObject({ type: 'text' });
    expect(columns.get('tags')).toMatchObject({ type: 'jsonb', expression: `m.record #> '{"tags"}'` });
    expect(columns.get('status.code')).toMatchObject({ name: 'status_code', type: 'text', part: 'code' });
    expect(columns.get('status.description')).toMatchObject({
      name: 'status_description',
      type: 'text',
      part: 'description',
    });
    expect(columns.get('office.code')).toMatchObject({ name: 'office_code', expression: 'm."office_code"' });
    expect(columns.get('office.name')).toMatchObject({ type: 'text' });
    expect(columns.get('office.parent.code')).toMatchObject({
      name: 'office_parent_code',
      expression: `analyst.as_text(m.record #> '{"office","parent","code"}')`,
    });
    expect(columns.get('raw')).toMatchObject({ type: 'jsonb' });
    expect(columns.get('lines')).toMatchObject({ type: 'jsonb' });
    expect(columns.has('lines.n')).toBe(false);
    const long = [...columns.values()].find((entry) => entry.name.startsWith('an_extremely'));
    expect(long?.name).toMatch(/_[0-9a-f]{8}$/);
    expect(long?.type).toBe('bigint');
  });

  describe.each(allFamilies().map((descriptor) => [descriptor.family, descriptor] as const))(
    '%s',
    (_, descriptor) => {
      const view = analystView(tangoContract(), descriptor);
      const resource = tangoContract().resource(descriptor.collection);

      it('covers every field and expand of the contract', () => {
        const paths = view.columns.flatMap((entry) => (entry.path === null ? [] : [entry.path]));
        const top = new Set(paths.map((path) => path.split('.')[0]));
        const missing = [...resource.fields, ...resource.expands.keys()].filter((name) => !top.has(name));
        expect(missing).toEqual([]);
      });

      it('has unique names within 63 bytes, the id first and the mirror columns last', () => {
        const names = view.columns.map((entry) => entry.name);
        expect(new Set(names).size).toBe(names.length);
        expect(names.filter((name) => Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES)).toEqual([]);
        expect(names[0]).toBe(descriptor.idField);
        expect(names.slice(-3)).toEqual(['changed_at', 'source_modified_at', 'deleted_at']);
      });

      it('shows each typed mirror column (and so its index) under its path', () => {
        const expressions = new Set(view.columns.map((entry) => entry.expression));
        const unused = descriptor.columns.filter((typed) => !expressions.has(`m."${typed.name}"`));
        expect(unused.map((typed) => typed.name)).toEqual([]);
      });
    },
  );
});
