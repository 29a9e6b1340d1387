import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { FAMILIES, type ShapeItem } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { shapePaths } from '../tango-contract/whole-shape';
import { TangoClient } from './tango-client';
import { listRequest, type RequestShape } from './tango-requests';

/** What one shape costs on one sample page: record JSON bytes and the request's time. */
export interface SampleCost {
  readonly paths: number;
  readonly records: number;
  /** JSON bytes of one record on average (0 when the page held none). */
  readonly bytesPerRecord: number;
  readonly requestMs: number;
}

export interface FamilyShapeCost {
  readonly family: ResourceFamily;
  readonly whole: SampleCost;
  readonly configured: SampleCost;
  /** Share of the whole record's bytes the configured shape saves (0 when it asks for all of it). */
  readonly savedShare: number;
}

const pageSchema = z.looseObject({ results: z.array(z.unknown()) });
const countSchema = z.looseObject({ count: z.number().int().nonnegative() });

/** The average JSON bytes of the records of a page. */
export function bytesPerRecord(records: readonly unknown[]): number {
  if (records.length === 0) {
    return 0;
  }
  const total = records.reduce<number>((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);
  return Math.round(total / records.length);
}

/** The share of `whole` that `configured` saves, rounded to a thousandth. */
export function savedShare(whole: number, configured: number): number {
  return whole === 0 ? 0 : Math.round((1 - configured / whole) * 1000) / 1000;
}

/**
 * What a family's narrowing choice costs, measured against Tango: the first page of its list (`sample` records)
 * with the whole record and with the narrowed shape, each one request at operator priority.
 */
@Injectable()
export class ShapeCostProbe {
  constructor(private readonly tango: TangoClient) {}

  async measure(
    family: ResourceFamily,
    configuredShape: readonly ShapeItem[],
    sample: number,
  ): Promise<FamilyShapeCost> {
    const whole = await this.sampleCost(family, FAMILIES[family].shape, sample);
    const configured =
      shapePaths(configuredShape).length === whole.paths
        ? whole
        : await this.sampleCost(family, configuredShape, sample);
    return {
      family,
      whole,
      configured,
      savedShare: savedShare(whole.bytesPerRecord, configured.bytesPerRecord),
    };
  }

  /**
   * How many records a resource's list holds: Tango's `count` on a one-record page without a shape (one request at
   * operator priority). Throws when the answer has no count: a size is never guessed.
   */
  async size(family: ResourceFamily): Promise<number> {
    const request = listRequest(family, {}, null, 1);
    const answer = await this.tango.get({ ...request, priority: 'operator', route: `${family}.size` });
    const page = countSchema.safeParse(answer.body);
    if (!page.success) {
      throw new Error(`${family}: Tango's list answered without a count`);
    }
    return page.data.count;
  }

  private async sampleCost(
    family: ResourceFamily,
    shape: readonly ShapeItem[],
    sample: number,
  ): Promise<SampleCost> {
    const request = listRequest(family, {}, shape satisfies RequestShape, sample);
    const started = performance.now();
    const answer = await this.tango.get({ ...request, priority: 'operator', route: `${family}.list` });
    const requestMs = Math.round(performance.now() - started);
    const page = pageSchema.parse(answer.body);
    return {
      paths: shapePaths(shape).length,
      records: page.results.length,
      bytesPerRecord: bytesPerRecord(page.results),
      requestMs,
    };
  }
}
