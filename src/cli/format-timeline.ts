import { type JsonValue } from '../common/json';
import { type RecordVersion } from '../history/history.repository';

/** A field's value on one line, shortened: the operator reads what changed, not the whole record. */
function short(value: JsonValue | undefined): string {
  if (value === undefined) {
    return '(absent)';
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A record's versions for a terminal: one block per version with when it was valid, why it was fetched, and each
 * changed field as old → new.
 */
export function formatTimeline(family: string, recordId: string, versions: readonly RecordVersion[]): string {
  const lines = [`${family} ${recordId}: ${versions.length} version(s)`];
  let previous: RecordVersion['record'] = null;
  for (const version of versions) {
    const until = version.validTo === null ? 'now' : version.validTo.toISOString();
    const reasons = Array.isArray(version.provenance.reasons) ? version.provenance.reasons.join(', ') : '';
    lines.push(
      `v${version.version} ${version.changeType.padEnd(7)} ${version.validFrom.toISOString()} .. ${until}` +
        (reasons.length > 0 ? `  (${reasons})` : ''),
    );
    if (version.changeType === 'updated' || version.changeType === 'enriched') {
      for (const field of version.changedFields) {
        lines.push(`    ${field}: ${short(previous?.[field])} -> ${short(version.record?.[field])}`);
      }
    } else if (version.changeType === 'created') {
      lines.push(`    ${version.changedFields.length} field(s)`);
    }
    previous = version.record;
  }
  return `${lines.join('\n')}\n`;
}
