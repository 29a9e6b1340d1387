import { type MigrationInterface } from 'typeorm';
import { CreateSyncState1795333708008 } from '../../migrations/1795333708008-create-sync-state';
import { CreateWebhookIngest1795334823019 } from '../../migrations/1795334823019-create-webhook-ingest';
import { CreateMirror1795335950972 } from '../../migrations/1795335950972-create-mirror';
import { CreateHealthGaps1795336200000 } from '../../migrations/1795336200000-create-health-gaps';
import { WebhookEventsMatchCounts1795337000000 } from '../../migrations/1795337000000-webhook-events-match-counts';
import { FetchTargetProvenanceWithoutFk1795337100000 } from '../../migrations/1795337100000-fetch-target-provenance-without-fk';
import { WebhookIngestLighterWrites1795337200000 } from '../../migrations/1795337200000-webhook-ingest-lighter-writes';
import { TypedColumnsFromTangoContract1795338000000 } from '../../migrations/1795338000000-typed-columns-from-tango-contract';
import { FamilyShapesAndFetchRejections1795338100000 } from '../../migrations/1795338100000-family-shapes-and-fetch-rejections';
import { TangoEventTypes1795338200000 } from '../../migrations/1795338200000-tango-event-types';
import { DeliveryState1795338300000 } from '../../migrations/1795338300000-delivery-state';
import { RelayLeases1795338400000 } from '../../migrations/1795338400000-relay-leases';
import { DeliveryStateView1795338600000 } from '../../migrations/1795338600000-delivery-state-view';
import { WebhookFanOutLimits1795338500000 } from '../../migrations/1795338500000-webhook-fan-out-limits';
import { RecordHistoryAndRetention1795338700000 } from '../../migrations/1795338700000-record-history-and-retention';
import { BackfillJobs1795338800000 } from '../../migrations/1795338800000-backfill-jobs';
import { ConsoleSamples1795338900000 } from '../../migrations/1795338900000-console-samples';
import { TangoApiVersion1795339070000 } from '../../migrations/1795339070000-tango-api-version';
import { AnalystViews1796665018939 } from '../../migrations/1796665018939-analyst-views';
import { Freshness1796665100000 } from '../../migrations/1796665100000-freshness';
import { EnrichedChangeType1796690000000 } from '../../migrations/1796690000000-enriched-change-type';
import { ContractResourceTables1796700000000 } from '../../migrations/1796700000000-contract-resource-tables';
import { AnalystViews1796700000001 } from '../../migrations/1796700000001-analyst-views';
import { ResourceRefreshes1796700000002 } from '../../migrations/1796700000002-resource-refreshes';
import { AwardOfficeJoinColumns1796700000003 } from '../../migrations/1796700000003-award-office-join-columns';
import { AnalystViews1796700000004 } from '../../migrations/1796700000004-analyst-views';
import { ChangeEventPreviousValues1796700000005 } from '../../migrations/1796700000005-change-event-previous-values';

type MigrationClass = new () => MigrationInterface;

/** Every migration, registered explicitly and in order. New migrations are appended here. */
export const MIGRATIONS: readonly MigrationClass[] = [
  CreateSyncState1795333708008,
  CreateWebhookIngest1795334823019,
  CreateMirror1795335950972,
  CreateHealthGaps1795336200000,
  WebhookEventsMatchCounts1795337000000,
  FetchTargetProvenanceWithoutFk1795337100000,
  WebhookIngestLighterWrites1795337200000,
  TypedColumnsFromTangoContract1795338000000,
  FamilyShapesAndFetchRejections1795338100000,
  TangoEventTypes1795338200000,
  DeliveryState1795338300000,
  RelayLeases1795338400000,
  WebhookFanOutLimits1795338500000,
  DeliveryStateView1795338600000,
  RecordHistoryAndRetention1795338700000,
  BackfillJobs1795338800000,
  ConsoleSamples1795338900000,
  TangoApiVersion1795339070000,
  AnalystViews1796665018939,
  Freshness1796665100000,
  EnrichedChangeType1796690000000,
  ContractResourceTables1796700000000,
  AnalystViews1796700000001,
  ResourceRefreshes1796700000002,
  AwardOfficeJoinColumns1796700000003,
  AnalystViews1796700000004,
  ChangeEventPreviousValues1796700000005,
];
