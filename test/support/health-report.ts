import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { type FamilyReport, type HealthReport } from '../../src/health/health-report.types';

/** A resource's entry of a `/health` report; throws when the report has none (the resource is not turned on). */
export function familyReport(report: HealthReport, family: ResourceFamily): FamilyReport {
  const entry = report.families[family];
  if (entry === undefined) {
    throw new Error(`/health has no entry for ${family} (is it turned on? TANGO_RESOURCES)`);
  }
  return entry;
}
