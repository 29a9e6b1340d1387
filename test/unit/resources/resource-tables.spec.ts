import { RESOURCE_TABLES_SQL } from '../../../migrations/1796700000000-contract-resource-tables';
import { FAMILIES } from '../../../src/common/tango/families';
import { contractResourceTablesSql } from '../../../src/resources/resource-tables';
import { CONTRACT_RESOURCE_NAMES } from '../../../src/tango-contract/resource-identity';

describe('contract resource tables', () => {
  it('are frozen in their migration exactly as the descriptors generate them (npm run generate:resource-tables)', () => {
    expect(RESOURCE_TABLES_SQL).toEqual(contractResourceTablesSql().up);
  });

  it('create a table, history partition, as-of function and sync-state row per resource, and drop them all', () => {
    const { up, down } = contractResourceTablesSql();
    for (const name of CONTRACT_RESOURCE_NAMES) {
      const spec = FAMILIES[name];
      expect(up).toContainEqual(
        expect.stringContaining(`CREATE TABLE ${spec.table} (\n  ${spec.idField} text PRIMARY KEY`),
      );
      expect(up).toContain(
        `CREATE TABLE record_history_${spec.table} PARTITION OF record_history FOR VALUES IN ('${name}')`,
      );
      expect(up).toContainEqual(expect.stringContaining(`'resource', '${name}'`));
      for (const column of spec.columns) {
        expect(up).toContain(`CREATE INDEX ${spec.table}_${column.name} ON ${spec.table} (${column.name})`);
      }
      expect(down).toContain(`DROP TABLE ${spec.table}`);
      expect(down).toContain(`DROP TABLE record_history_${spec.table}`);
    }
  });

  it('let every check that names resources accept the contract resources, and the down step take them back', () => {
    const { up, down } = contractResourceTablesSql();
    const checks = up.filter((statement) => statement.includes('ADD CONSTRAINT'));
    expect(checks).toHaveLength(5);
    for (const check of checks) {
      expect(check).toContain("'exclusions'");
      expect(check).toContain("'contracts'");
    }
    const restored = down.filter((statement) => statement.includes('ADD CONSTRAINT'));
    expect(restored).toHaveLength(5);
    expect(restored.every((check) => !check.includes("'exclusions'"))).toBe(true);
    // Rows of the resources go before the checks that would refuse them.
    expect(down.findIndex((s) => s.startsWith('DELETE FROM sync_state'))).toBeLessThan(
      down.findIndex((s) => s.includes('sync_state_resource_known')),
    );
  });
});
