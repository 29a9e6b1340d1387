import { Module } from '@nestjs/common';
import { FamilyShapes } from './family-shapes';
import { RecordFetcher } from './record-fetcher';
import { TangoRequestBudget } from './request-budget';
import { LocalRequestPacer, RequestPacer } from './request-pacer';
import {
  PostgresApiVersionStore,
  TangoApiVersionStore,
  TangoApiVersionTracker,
  UnstoredApiVersions,
} from './tango-api-version';
import { ShapeCostProbe } from './shape-cost';
import { TangoClient } from './tango-client';
import { TangoWebhooksApi } from './tango-webhooks-api';

/**
 * Tango's REST API behind one adapter (the only importer of undici), the shared request budget, the shapes each
 * family asks for (kept in step with what Tango accepts), the record reader every fetch path uses, and the webhook
 * management API.
 */
@Module({
  providers: [
    TangoRequestBudget,
    { provide: RequestPacer, useExisting: TangoRequestBudget },
    { provide: TangoApiVersionStore, useClass: PostgresApiVersionStore },
    TangoApiVersionTracker,
    TangoClient,
    FamilyShapes,
    RecordFetcher,
    ShapeCostProbe,
    TangoWebhooksApi,
  ],
  exports: [
    TangoClient,
    TangoRequestBudget,
    TangoApiVersionTracker,
    FamilyShapes,
    RecordFetcher,
    ShapeCostProbe,
    TangoWebhooksApi,
  ],
})
export class TangoModule {}

/**
 * Tango's API for an operator command run without a database: the same client and management API, paced by this
 * process alone (it honours Tango's rate-limit headers and 429s, and shares no budget with workers).
 */
@Module({
  providers: [
    { provide: RequestPacer, useClass: LocalRequestPacer },
    { provide: TangoApiVersionStore, useClass: UnstoredApiVersions },
    TangoApiVersionTracker,
    TangoClient,
    ShapeCostProbe,
    TangoWebhooksApi,
  ],
  exports: [TangoClient, ShapeCostProbe, TangoWebhooksApi],
})
export class TangoStandaloneModule {}
