import { type Family } from '../options';
import { type Rng } from '../prng';
import { transactionId } from './awards';
import { money } from './context';
import { addDays, fiscalYear, isoWithOffset } from './dates';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from './json';

/** The realistic default modification per family; returns new transaction ids for awards. */
export function applyDefaultChange(
  family: Family,
  record: JsonObject,
  rng: Rng,
  day: string,
  atMs: number,
): string[] {
  switch (family) {
    case 'contracts':
    case 'idvs':
    case 'otas':
    case 'otidvs': {
      const transactions = Array.isArray(record.transactions) ? record.transactions : [];
      const modificationNumber = String(transactions.length);
      const amount = money(rng.int(100, 250_000));
      transactions.push({
        modification_number: modificationNumber,
        transaction_date: day,
        obligated: amount,
        action_type: 'B',
        description: `MODIFICATION ${modificationNumber}`,
      });
      record.transactions = transactions;
      record.obligated = money((typeof record.obligated === 'number' ? record.obligated : 0) + amount);
      return [transactionId(family, record, modificationNumber)];
    }
    case 'opportunities':
      record.last_notice_date = isoWithOffset(atMs);
      record.response_deadline = isoWithOffset(atMs + rng.int(7, 45) * 86_400_000);
      record.description = `${scalarText(record.description)} Amended.`;
      return [];
    case 'notices':
      record.last_updated = isoWithOffset(atMs);
      record.description = `${scalarText(record.description)} Amended.`;
      return [];
    case 'entities':
      record.last_update_date = day;
      record.congressional_district = String(rng.int(1, 12)).padStart(2, '0');
      return [];
    case 'grants': {
      record.last_updated = isoWithOffset(atMs);
      const details = record.funding_details;
      if (isJsonObject(details)) {
        details.estimated_total_funding = rng.int(1, 100) * 100_000;
      }
      return [];
    }
    case 'forecasts': {
      record.modified = isoWithOffset(atMs);
      record.anticipated_award_date = addDays(day, rng.int(30, 400));
      record.fiscal_year = fiscalYear(record.anticipated_award_date);
      record.status = rng.pick<JsonValue>(['Acquisition Planning', 'Solicitation Pending', null]);
      const display = record.display;
      if (isJsonObject(display)) {
        display.anticipated_award_date = record.anticipated_award_date;
        display.status = record.status;
      }
      const raw = record.raw_data;
      if (isJsonObject(raw)) {
        raw.status = record.status;
      }
      return [];
    }
  }
}
