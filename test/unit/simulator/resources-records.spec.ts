import { wholeShapeNodes, shapePaths } from '../../../src/tango-contract/whole-shape';
import { collectServeFlags, toSimulatorOptions } from '../../../simulator/cli-args';
import { contractConformanceIssues } from '../../../simulator/contract/conformance';
import { type AwardFamily } from '../../../simulator/dataset/awards';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from '../../../simulator/dataset/json';
import { Dataset } from '../../../simulator/dataset/store';
import { datasetSizesSchema } from '../../../simulator/options';
import { RESOURCE_SPECS, RESOURCES, type Resource } from '../../../simulator/resources/catalog';
import { ResourceStore } from '../../../simulator/resources/store';

const NOW = Date.parse('2026-09-01T12:00:00Z');
const SIZES = datasetSizesSchema.parse({
  contracts: 300,
  idvs: 50,
  otas: 20,
  otidvs: 10,
  opportunities: 30,
  notices: 30,
  entities: 80,
  grants: 20,
  forecasts: 20,
});

function store(seed = 42, sizes = {}): ResourceStore {
  return new ResourceStore(new Dataset(seed, SIZES, '2026-08-14').ctx, sizes, () => NOW);
}

/** Every dotted path of a record (list positions left out), objects included. */
function recordPaths(value: JsonValue, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => recordPaths(item, prefix));
  }
  if (!isJsonObject(value)) {
    return [];
  }
  return Object.entries(value).flatMap(([key, child]) => {
    const path = `${prefix}${key}`;
    return [path, ...recordPaths(child, `${path}.`)];
  });
}

/** The whole records of every resource, plus a created and a modified one. */
function sampleRecords(data: ResourceStore, name: Resource): JsonObject[] {
  const records = data.entries(name).map((entry) => entry.record);
  const created = data.create(name);
  const id = scalarText(created[RESOURCE_SPECS[name].identity.idField]);
  return [...records, created, data.modify(name, id) ?? {}];
}

const ID_FORMS: Readonly<Record<Resource, RegExp>> = {
  exclusions: /^[A-Z][A-Z0-9]{9}$/,
  dibbs_rfqs: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  dibbs_rfps: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  agencies: /^[0-9A-Z]{4}$/,
  departments: /^\d{2}$/,
  offices: /^[A-Z0-9]{6}$/,
  organizations: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  naics: /^[1-9]\d{5}$/,
  psc: /^[A-Z0-9]{4}$/,
  assistance_listings: /^[1-9]\d\.\d{2}[1-9]$/,
  business_types: /^[A-Z0-9]{2}$/,
  mas_sins: /^[1-9]\d{4}[A-Z0-9]$/,
  budget_accounts: /^[1-9]\d{5}$/,
  dibbs_awards: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  gsa_elibrary_contracts: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  itdashboard: /^[1-9]\d{2}-\d{9}$/,
  protests: /^B-[1-9]\d{5}\.[1-9]$/,
  sbir_solicitations: /^[1-9]\d{4}$/,
  sbir_topics: /^[1-9]\d{5}$/,
  sled_forecasts: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  sled_opportunities: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  subawards: /^[1-9]\d{8}$/,
  vehicles: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
};

describe('simulator: records of the resources beyond the nine families', () => {
  const data = store();

  it('should cover exactly the mirrorable resources of the identity table', () => {
    expect(RESOURCES).toHaveLength(23);
    expect(RESOURCES).not.toContain('events');
    expect(RESOURCES).not.toContain('news');
  });

  describe.each(RESOURCES)('%s', (name) => {
    const spec = RESOURCE_SPECS[name];
    const records = sampleRecords(data, name);

    it('should hold every contract path, and only contract paths of the observed types', () => {
      const whole = new Set(shapePaths(wholeShapeNodes(spec.contract)));
      for (const record of records) {
        expect(contractConformanceIssues(spec.contract, record)).toEqual([]);
        const paths = new Set(recordPaths(record));
        expect(
          [...paths].filter(
            (path) =>
              !whole.has(path) &&
              !isUnderOpenExpand(spec.contract, path) &&
              !isCodeObjectPart(spec.contract, path),
          ),
        ).toEqual([]);
        expect([...whole].filter((path) => !paths.has(path) && !isUnderList(record, path))).toEqual([]);
      }
    });

    it('should key every record by a unique id of the resource’s form', () => {
      // The last sample is the created record again, modified.
      const ids = records.slice(0, -1).map((record) => scalarText(record[spec.identity.idField]));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => !ID_FORMS[name].test(id))).toEqual([]);
    });

    it('should generate the same records for the same seed and others for another seed', () => {
      const again = store().entries(name);
      const other = store(7).entries(name);
      expect(again.map((entry) => entry.record)).toEqual(
        data
          .entries(name)
          .slice(0, again.length)
          .map((entry) => entry.record),
      );
      expect(other.map((entry) => entry.record)).not.toEqual(again.map((entry) => entry.record));
    });
  });

  it('should take record counts from the options, with small defaults', () => {
    const sized = store(42, { exclusions: 3, vehicles: 0 });
    expect(sized.liveCount('exclusions')).toBe(3);
    expect(sized.liveCount('vehicles')).toBe(0);
    const others = RESOURCES.filter((name) => name !== 'exclusions' && name !== 'vehicles');
    expect(others.filter((name) => sized.liveCount(name) < 16 || sized.liveCount(name) > 60)).toEqual([]);
  });

  it('should hold the change time in the change field, and bump it to now on modification', () => {
    const exclusion = data.entries('exclusions')[3];
    const itdashboard = data.entries('itdashboard')[3];
    expect(exclusion?.record.update_date).toBe(
      new Date(exclusion?.changedMs ?? 0).toISOString().slice(0, 10),
    );
    expect(Date.parse(scalarText(itdashboard?.record.updated_time))).toBe(itdashboard?.changedMs);
    const bumped = data.modify('exclusions', exclusion?.id ?? '');
    expect(bumped?.update_date).toBe('2026-09-01');
    expect(data.get('exclusions', exclusion?.id ?? '')?.changedMs).toBe(NOW);
  });
});

describe('simulator: resource record counts from the command line', () => {
  it('should read `--resource-sizes name=count,...` (or SIM_RESOURCE_SIZES) and refuse unknown names', () => {
    const options = toSimulatorOptions(
      collectServeFlags({ 'resource-sizes': 'exclusions=200, naics=5' }, {}),
    );
    expect(options.resourceSizes).toEqual({ exclusions: 200, naics: 5 });
    const fromEnv = toSimulatorOptions(collectServeFlags({}, { SIM_RESOURCE_SIZES: 'vehicles=0' }));
    expect(fromEnv.resourceSizes).toEqual({ vehicles: 0 });
    expect(() => collectServeFlags({ 'resource-sizes': 'events=3' }, {})).toThrow();
    expect(() => collectServeFlags({ 'resource-sizes': 'naics=' }, {})).toThrow();
  });
});

describe('simulator: resources join the nine families', () => {
  const dataset = new Dataset(42, SIZES, '2026-08-14');
  const resources = new ResourceStore(dataset.ctx, {}, () => NOW);
  const contracts = Array.from(
    { length: SIZES.contracts },
    (_item, index) => dataset.get('contracts', index) ?? {},
  );

  function contractValues(read: (record: JsonObject) => JsonValue | undefined): Set<string> {
    return new Set(contracts.map((record) => scalarText(read(record))));
  }

  function resourceIds(name: Resource): Set<string> {
    return new Set(resources.entries(name).map((entry) => entry.id));
  }

  it('should give some exclusions the UEI of a simulator entity that simulator contracts pay', () => {
    const recipients = contractValues((record) =>
      isJsonObject(record.recipient) ? record.recipient.uei : null,
    );
    const matched = resources
      .entries('exclusions')
      .filter((entry) => recipients.has(scalarText(entry.record.uei)));
    expect(matched.length).toBeGreaterThanOrEqual(20);
    for (const entry of matched) {
      expect(entry.record.entity_uei).toBe(entry.record.uei);
      expect(dataset.resolve('entities', scalarText(entry.record.uei))).toBeDefined();
    }
  });

  it.each<[Resource, (record: JsonObject) => JsonValue | undefined]>([
    [
      'agencies',
      (record) => (isJsonObject(record.awarding_office) ? record.awarding_office.agency_code : null),
    ],
    ['naics', (record) => record.naics_code],
    ['psc', (record) => record.psc_code],
    [
      'offices',
      (record) => (isJsonObject(record.awarding_office) ? record.awarding_office.office_code : null),
    ],
  ])('should hold every %s code the simulator’s contracts use', (name, read) => {
    const ids = resourceIds(name);
    expect([...contractValues(read)].filter((code) => !ids.has(code))).toEqual([]);
  });

  it.each<AwardFamily>(['idvs', 'otas'])('should hold the agency codes of %s too', (family) => {
    const ids = resourceIds('agencies');
    const record = dataset.get(family, 0) ?? {};
    const office = record.awarding_office;
    expect(ids.has(isJsonObject(office) ? scalarText(office.agency_code) : '')).toBe(true);
  });
});

/** A path below an expand whose field list is open (`raw(*)`): any name may appear there. */
function isUnderOpenExpand(contract: (typeof RESOURCE_SPECS)[Resource]['contract'], path: string): boolean {
  const [top = '', ...rest] = path.split('.');
  return rest.length > 0 && contract.expands.get(top)?.fields.has('*') === true;
}

/** `code`/`description` of a field Tango was observed to answer as a `{code, description}` object. */
function isCodeObjectPart(contract: (typeof RESOURCE_SPECS)[Resource]['contract'], path: string): boolean {
  const match = /^(.+)\.(code|description)$/.exec(path);
  return match?.[1] !== undefined && contract.observedType(match[1])?.kind === 'code_object';
}

/** A path under a list that came out empty (nothing to hold it). */
function isUnderList(record: JsonObject, path: string): boolean {
  let current: JsonValue | undefined = record;
  for (const part of path.split('.')) {
    if (Array.isArray(current)) {
      return current.length === 0;
    }
    if (!isJsonObject(current)) {
      return true;
    }
    current = current[part];
  }
  return false;
}
