import { Module } from '@nestjs/common';
import { FamilyShapes } from './family-shapes';
import { RecordFetcher } from './record-fetcher';
import { TangoRequestBudget } from './request-budget';
import { TangoClient } from './tango-client';

/**
 * Tango's REST API behind one adapter (the only importer of undici), the shared request budget, the shapes each
 * family asks for (kept in step with what Tango accepts), and the record reader every fetch path uses.
 */
@Module({
  providers: [TangoRequestBudget, TangoClient, FamilyShapes, RecordFetcher],
  exports: [TangoClient, TangoRequestBudget, FamilyShapes, RecordFetcher],
})
export class TangoModule {}
