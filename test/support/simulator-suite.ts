/**
 * The simulator as most simulator-backed suites set it up: a small dataset, no scheduled webhooks, started before
 * the suite's tests and closed after them.
 */
import {
  FAMILIES,
  type Family,
  type RunningSimulator,
  type SimulatorOptionsInput,
} from '../../simulator/index';

/** Dataset sizes: `counts` for the families named, `rest` records for every other family. */
export function simulatorSizes(counts: Partial<Record<Family, number>>, rest = 5): Record<Family, number> {
  return Object.fromEntries(FAMILIES.map((family) => [family, counts[family] ?? rest])) as Record<
    Family,
    number
  >;
}

/**
 * Starts a simulator with `options` (scheduled webhooks off unless they say otherwise) in beforeAll, hands it to
 * `use` (the suite keeps it in its own variable), and closes it in afterAll. The suite passes its own
 * `startSimulator`, so that what it runs is what it imports.
 */
export function simulatorForSuite(
  start: (options: SimulatorOptionsInput) => Promise<RunningSimulator>,
  options: SimulatorOptionsInput,
  use: (sim: RunningSimulator) => void,
): void {
  let started: RunningSimulator | undefined;
  beforeAll(async () => {
    started = await start({ ...options, webhooks: { schedule: false, ...options.webhooks } });
    use(started);
  });
  afterAll(async () => {
    await started?.close();
  });
}
