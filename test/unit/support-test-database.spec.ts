import { assertTestDatabaseUrl, withDatabaseName } from '../support/test-database';

describe('test database guard', () => {
  it('accepts a database whose name contains "test"', () => {
    expect(() => {
      assertTestDatabaseUrl('postgres://u@127.0.0.1:5432/tango_sync_test');
    }).not.toThrow();
  });

  it('refuses any other database', () => {
    expect(() => {
      assertTestDatabaseUrl('postgres://u@127.0.0.1:5432/tango_sync');
    }).toThrow(/refusing to run tests against database "tango_sync"/);
  });

  it('refuses a URL it cannot parse without echoing credentials', () => {
    expect(() => {
      assertTestDatabaseUrl('not a url');
    }).toThrow(/not a valid URL/);
  });

  it('swaps the database name', () => {
    expect(withDatabaseName('postgres://u:p@127.0.0.1:5432/a_test', 'b_test')).toBe(
      'postgres://u:p@127.0.0.1:5432/b_test',
    );
  });
});
