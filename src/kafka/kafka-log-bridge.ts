import { Logger } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';

/**
 * Broker answers that are normal while a broker starts, topics are being created or a group coordinator is being
 * elected (kafkajs retries them itself). The texts are kafkajs's own (`kafkajs/src/protocol/error.js`).
 */
export const TRANSIENT_KAFKA_ERRORS: readonly string[] = [
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'The replica is not available for the requested topic-partition',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'The group is rebalancing, so a rejoin is needed',
];

/** A transient error still answered after this long is no longer transient: it is logged at its own level. */
export const TRANSIENT_KAFKA_ERROR_GRACE_MS = 30_000;

interface Streak {
  first: number;
  last: number;
  reportedAt?: number;
}

/**
 * Decides whether a kafkajs error or warning is start-up noise. The first answers of a known transient kind are
 * `quiet`; the same kind answered continuously for longer than the grace period is `persisting` (reported at most
 * once per grace period, `quiet` in between). Everything else is `other`. A pause of a grace period ends a streak.
 */
export class TransientKafkaErrors {
  private readonly streaks = new Map<string, Streak>();

  constructor(
    private readonly graceMs = TRANSIENT_KAFKA_ERROR_GRACE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  classify(text: string | undefined): { kind: 'quiet' | 'other' } | { kind: 'persisting'; forMs: number } {
    const known =
      text === undefined ? undefined : TRANSIENT_KAFKA_ERRORS.find((entry) => text.includes(entry));
    if (known === undefined) {
      return { kind: 'other' };
    }
    const now = this.now();
    let streak = this.streaks.get(known);
    if (streak === undefined || now - streak.last > this.graceMs) {
      streak = { first: now, last: now };
      this.streaks.set(known, streak);
    }
    streak.last = now;
    if (now - streak.first < this.graceMs) {
      return { kind: 'quiet' };
    }
    if (streak.reportedAt !== undefined && now - streak.reportedAt < this.graceMs) {
      return { kind: 'quiet' };
    }
    streak.reportedAt = now;
    return { kind: 'persisting', forMs: now - streak.first };
  }
}

/**
 * Routes kafkajs's own logging to the application logger. Its INFO chatter becomes debug, and so do the transient
 * broker answers of a start (see TransientKafkaErrors) until they persist past the grace period.
 */
export const kafkaLogCreator: logCreator = () => {
  const logger = new Logger('kafkajs');
  const transient = new TransientKafkaErrors();
  return ({ level, log }) => {
    const { message, ...fields } = log;
    if (level === logLevel.ERROR || level === logLevel.WARN) {
      const error = typeof fields.error === 'string' ? fields.error : message;
      const verdict = transient.classify(error);
      if (verdict.kind === 'quiet') {
        logger.debug({ ...fields, transient: true }, message);
        return;
      }
      if (verdict.kind === 'persisting') {
        fields.persistingForMs = verdict.forMs;
      }
    }
    switch (level) {
      case logLevel.ERROR:
        logger.error(fields, message);
        break;
      case logLevel.WARN:
        logger.warn(fields, message);
        break;
      case logLevel.INFO:
      case logLevel.DEBUG:
        logger.debug(fields, message);
        break;
      case logLevel.NOTHING:
        break;
    }
  };
};
