import { type BackfillJobView } from './backfill.repository';
import { jobRate } from './backfill.service';

/** One line about a job: state, records against Tango's count, rate, ETA, segments, failures. */
export function formatJobLine(job: BackfillJobView, rssBytes: number | null = null): string {
  const records = job.progress.reduce((sum, family) => sum + family.records, 0);
  const expected = job.progress.reduce((sum, family) => sum + (family.expected ?? 0), 0);
  const pages = job.progress.reduce((sum, family) => sum + family.pages, 0);
  const open = job.progress.reduce(
    (sum, family) => sum + family.segments.pending + family.segments.running,
    0,
  );
  const failed = job.progress.reduce((sum, family) => sum + family.segments.failed, 0);
  const { recordsPerSecond, etaSeconds } = jobRate(job);
  const parts = [
    `${job.id.slice(0, 8)} ${job.state}`,
    `${records.toLocaleString('en-US')}${expected > 0 ? `/${expected.toLocaleString('en-US')}` : ''} records`,
    `${pages} pages`,
    `${recordsPerSecond ?? 0}/s`,
    ...(etaSeconds === null ? [] : [`ETA ${etaSeconds} s`]),
    `${open} segment(s) open`,
    ...(failed > 0 ? [`${failed} failed`] : []),
    ...(rssBytes === null ? [] : [`RSS ${Math.round(rssBytes / 1_048_576)} MB`]),
  ];
  return parts.join(' | ');
}

/** A job, family by family, for `backfill status`. */
export function formatJob(job: BackfillJobView): string {
  const lines = [
    `${job.id}  ${job.state}  ${job.families.join(', ')}${job.since === null ? '' : ` since ${job.since}`}  (by ${job.requestedBy}, ${job.createdAt.toISOString()})`,
    `  ${formatJobLine(job)}`,
  ];
  for (const family of job.progress) {
    const s = family.segments;
    lines.push(
      `  ${family.family.padEnd(14)} ${String(family.records).padStart(9)} records ${String(family.pages).padStart(6)} pages  segments: ${s.done} done, ${s.running} running, ${s.pending} pending, ${s.split} split, ${s.failed} failed` +
        (family.lastError === null ? '' : `  last error: ${family.lastError}`),
    );
  }
  if (job.lastError !== null) {
    lines.push(`  error: ${job.lastError}`);
  }
  return `${lines.join('\n')}\n`;
}
