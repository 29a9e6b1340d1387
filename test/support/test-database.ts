/** Refuses to touch a database whose name does not say it is for tests: the harness drops its schema. */
export function assertTestDatabaseUrl(url: string): void {
  let name: string;
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    throw new Error(`TEST_DATABASE_URL is not a valid URL: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
  }
  if (!name.toLowerCase().includes('test')) {
    throw new Error(
      `refusing to run tests against database "${name}": its name must contain "test" (the test harness resets it)`,
    );
  }
}

/** The same URL pointing at another database on the same server. */
export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
