/**
 * Rows several writers lock, and the one order they lock them in, so no two writers can deadlock on them.
 *
 * `fetch_targets`: the webhook ingest statement (hints), the fetcher's transactions (retries, follow-ups), the
 * relay's claim and mark statements and the redrive command all write pending rows of one record; each takes them
 * in (resource, record_id) byte order. Byte order (`COLLATE "C"`) is what JavaScript's `<` on these ASCII keys
 * gives too, and it does not depend on the database's collation.
 */
export function fetchTargetLockOrder(alias: string): string {
  return `${alias}.resource COLLATE "C", ${alias}.record_id COLLATE "C"`;
}

/** The same order in JavaScript, for inputs sorted before they reach SQL. */
export function compareFetchTargetKeys(
  a: { readonly resource: string; readonly recordId: string },
  b: { readonly resource: string; readonly recordId: string },
): number {
  if (a.resource !== b.resource) {
    return a.resource < b.resource ? -1 : 1;
  }
  return a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0;
}
