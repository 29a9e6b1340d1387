import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { FAMILIES, followUpIds, followUpsOf } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type FetchedRecord, type MirrorChange, MirrorRepository } from '../mirror/mirror.repository';
import { type FamilyWriteResult, MirrorWriter } from '../mirror/mirror-writer';
import { FETCH_DEAD_LETTER_TOPIC } from '../outbox/fetch-request';
import { FetchTargetOutbox, type RetryTarget } from '../outbox/fetch-target-outbox';
import { FetchFailureRepository } from '../sync-state/fetch-failure.repository';
import { GapRepository } from '../sync-state/gap.repository';
import { type FetchPriority } from '../tango/request-pacer';
import { type CommitPlan, type DeadLetter, planSucceeded } from './fetch-plan';

/** What a family batch's commit wrote. */
export interface CommittedBatch {
  readonly written: FamilyWriteResult;
}

/**
 * The fetcher's write side: one transaction (through the mirror writer) for everything a batch decided, then its
 * dead letters to Kafka. Ingest hints the same `fetch_targets` rows, so retries and follow-ups are written last,
 * locked only for the commit itself.
 */
@Injectable()
export class FetchCommit {
  constructor(
    private readonly writer: MirrorWriter,
    private readonly mirror: MirrorRepository,
    private readonly targets: FetchTargetOutbox,
    private readonly failures: FetchFailureRepository,
    private readonly gaps: GapRepository,
    private readonly kafka: KafkaAdapter,
  ) {}

  async commit(family: ResourceFamily, plan: CommitPlan, priority: FetchPriority): Promise<CommittedBatch> {
    const write = {
      family,
      upserts: plan.upserts,
      tombstones: {
        ids: plan.tombstones,
        confirmedAt: plan.tombstonedAt,
        provenance: plan.tombstoneProvenance,
      },
      fetchState: { succeeded: planSucceeded(plan), error: plan.firstError },
    };
    const committed = await this.writer.commit([write], async (manager, [written]) => {
      await this.failures.resolveFailures(family, plan.resolved, manager);
      await this.failures.recordFailures(plan.failureRows, manager);
      for (const gap of plan.gaps) {
        await this.gaps.openOrWiden(gap, manager);
      }
      const followUps = await this.followUps(
        family,
        plan.upserts,
        written?.upserted.changes ?? [],
        priority,
        manager,
      );
      await this.targets.enqueue([...plan.retries, ...followUps], manager);
    });
    const [written] = committed.results;
    if (written === undefined) {
      throw new Error(`the mirror writer returned no result for ${family}`);
    }
    return { written };
  }

  /** After the commit: dead letters to Kafka (the caller commits its offsets only after this). */
  async publishDeadLetters(family: ResourceFamily, deadLetters: readonly DeadLetter[]): Promise<void> {
    if (deadLetters.length === 0) {
      return;
    }
    await this.kafka.send(
      this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC),
      deadLetters.map((letter) => ({
        key: `${family}:${letter.recordId}`,
        value: JSON.stringify({ resource: family, ...letter }),
        headers: { 'content-type': 'application/json' },
      })),
    );
  }

  /**
   * The family's follow-ups (its descriptor's `followUps`: an opportunity's notices, since alerts cover
   * opportunities, not notices): for each new or changed record, its latest follow-up record and every listed one
   * the mirror does not hold yet. The mirror is read on the commit's connection.
   */
  private async followUps(
    family: ResourceFamily,
    upserts: readonly FetchedRecord[],
    changes: readonly MirrorChange[],
    priority: FetchPriority,
    manager: EntityManager,
  ): Promise<RetryTarget[]> {
    const plans = followUpsOf(
      FAMILIES[family],
      upserts.map((upsert) => upsert.record),
      new Set(changes.map((change) => change.recordId)),
    );
    const targets: RetryTarget[] = [];
    for (const plan of plans) {
      const known = await this.mirror.fetchTimes(plan.family, plan.unlessMirrored, manager);
      for (const recordId of followUpIds(plan, known)) {
        targets.push({
          ...{ resource: plan.family, recordId, idKind: plan.idKind, kind: 'record', reason: plan.reason },
          ...{ priority, sweep: null, attempt: 0, notBefore: new Date() },
        });
      }
    }
    return targets;
  }
}
