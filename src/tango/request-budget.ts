import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { type RateLimitSnapshot } from './rate-limit-headers';
import { RequestPacer, type RequestPriority } from './request-pacer';

const MAX_WAIT_STEP_MS = 5_000;

export interface BudgetState {
  readonly burstLimit: number | null;
  readonly burstRemaining: number | null;
  readonly burstResetAt: Date | null;
  readonly dailyLimit: number | null;
  readonly dailyRemaining: number | null;
  readonly dailyResetAt: Date | null;
  readonly parkedUntil: Date | null;
  readonly parkedReason: string | null;
  readonly requestsTotal: number;
  readonly throttledTotal: number;
}

/**
 * Tango's limits are per account, so every replica paces itself by one shared budget in Postgres: each request
 * takes a token, and the `X-RateLimit-*` headers of every answer set the counts straight. 429s become the
 * exception. A share of the daily quota is kept for live fetches.
 */
@Injectable()
export class TangoRequestBudget extends RequestPacer {
  private readonly logger = new Logger(TangoRequestBudget.name);
  private ensured = false;
  /** Limits are per Tango account: the budget row is keyed by a fingerprint of the API root and key. */
  private readonly account: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    this.account = createHash('sha256')
      .update(`${config.tango.baseUrl}\n${config.tango.apiKey ?? ''}`)
      .digest('hex')
      .slice(0, 16);
  }

  /** Waits until a request of this priority may be sent, then takes a token for it. */
  async acquire(priority: RequestPriority, signal?: AbortSignal): Promise<void> {
    await this.ensureRow();
    const reserveShare = priority === 'live' ? 0 : this.config.tango.liveReserveShare;
    const burstReserveShare = priority === 'live' ? 0 : this.config.tango.liveBurstReserveShare;
    let waitedLogged = false;
    for (;;) {
      signal?.throwIfAborted();
      // A SELECT around the UPDATE: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      const granted = await this.dataSource.query<{ granted: boolean }[]>(
        `WITH taken AS (
         UPDATE tango_request_budget SET
           burst_remaining = CASE
             WHEN burst_limit IS NULL THEN NULL
             WHEN burst_reset_at IS NULL OR burst_reset_at <= clock_timestamp() THEN burst_limit - 1
             ELSE burst_remaining - 1 END,
           burst_reset_at = CASE
             WHEN burst_limit IS NOT NULL AND (burst_reset_at IS NULL OR burst_reset_at <= clock_timestamp())
               THEN clock_timestamp() + make_interval(secs => COALESCE(burst_window_seconds, 60))
             ELSE burst_reset_at END,
           daily_remaining = CASE
             WHEN daily_limit IS NULL THEN NULL
             WHEN daily_reset_at IS NULL OR daily_reset_at <= clock_timestamp() THEN daily_limit - 1
             ELSE daily_remaining - 1 END,
           daily_reset_at = CASE
             WHEN daily_limit IS NOT NULL AND (daily_reset_at IS NULL OR daily_reset_at <= clock_timestamp())
               THEN clock_timestamp() + make_interval(secs => COALESCE(daily_window_seconds, 86400))
             ELSE daily_reset_at END,
           requests_total = requests_total + 1,
           updated_at = clock_timestamp()
         WHERE account = $1
           AND (parked_until IS NULL OR parked_until <= clock_timestamp())
           AND (burst_limit IS NULL OR burst_reset_at IS NULL OR burst_reset_at <= clock_timestamp() OR burst_remaining > ceil(burst_limit * $3::float8))
           AND (daily_limit IS NULL OR daily_reset_at IS NULL OR daily_reset_at <= clock_timestamp()
                OR daily_remaining > ceil(daily_limit * $2::float8))
         RETURNING true AS granted
         )
         SELECT granted FROM taken`,
        [this.account, reserveShare, burstReserveShare],
      );
      if (granted.length > 0) {
        return;
      }
      const waitMs = await this.millisecondsUntilNextToken(reserveShare, burstReserveShare);
      if (!waitedLogged) {
        this.logger.debug({ priority, waitMs }, 'waiting for the Tango request budget');
        waitedLogged = true;
      }
      await sleep(Math.min(MAX_WAIT_STEP_MS, Math.max(20, waitMs)), signal);
    }
  }

  /**
   * Sets the counts from an answer's headers (the server's count wins over ours when a window turned over).
   * `unseenByServer` is how many of our requests were still on their way when the answer came: the server's
   * remaining count may not include them yet, so they are taken off it (otherwise a window opened by the header
   * would hand out their tokens twice, which is where stray 429s at window boundaries came from).
   */
  async observe(snapshot: RateLimitSnapshot, unseenByServer = 0): Promise<void> {
    if (snapshot.burst === null && snapshot.daily === null) {
      return;
    }
    const { burst, daily } = snapshot;
    await this.ensureRow();
    await this.dataSource.query(
      `UPDATE tango_request_budget SET
         burst_limit = COALESCE($2, burst_limit),
         burst_remaining = CASE
           WHEN $2::int IS NULL THEN burst_remaining
           WHEN burst_reset_at IS NULL OR burst_reset_at <= clock_timestamp()
                OR clock_timestamp() + make_interval(secs => $4) > burst_reset_at + interval '1 second'
             THEN GREATEST(0, $3::int - $8::int)
           ELSE LEAST(burst_remaining, GREATEST(0, $3::int - $8::int)) END,
         burst_reset_at = CASE WHEN $2::int IS NULL THEN burst_reset_at ELSE clock_timestamp() + make_interval(secs => $4) END,
         burst_window_seconds = GREATEST(COALESCE(burst_window_seconds, 0), CEIL($4)::int),
         daily_limit = COALESCE($5, daily_limit),
         daily_remaining = CASE
           WHEN $5::int IS NULL THEN daily_remaining
           WHEN daily_reset_at IS NULL OR daily_reset_at <= clock_timestamp()
                OR clock_timestamp() + make_interval(secs => $7) > daily_reset_at + interval '1 second'
             THEN GREATEST(0, $6::int - $8::int)
           ELSE LEAST(daily_remaining, GREATEST(0, $6::int - $8::int)) END,
         daily_reset_at = CASE WHEN $5::int IS NULL THEN daily_reset_at ELSE clock_timestamp() + make_interval(secs => $7) END,
         daily_window_seconds = GREATEST(COALESCE(daily_window_seconds, 0), CEIL($7)::int),
         updated_at = clock_timestamp()
       WHERE account = $1`,
      [
        this.account,
        burst?.limit ?? null,
        burst?.remaining ?? null,
        burst?.resetSeconds ?? 0,
        daily?.limit ?? null,
        daily?.remaining ?? null,
        daily?.resetSeconds ?? 0,
        Math.max(0, Math.trunc(unseenByServer)),
      ],
    );
  }

  /** A 429 arrived anyway: no request of any priority until `until`. */
  async park(until: Date, reason: string): Promise<void> {
    await this.ensureRow();
    await this.dataSource.query(
      `UPDATE tango_request_budget
          SET parked_until = GREATEST(COALESCE(parked_until, $2), $2), parked_reason = $3,
              throttled_total = throttled_total + 1, updated_at = clock_timestamp()
        WHERE account = $1`,
      [this.account, until, reason],
    );
    this.logger.warn({ until: until.toISOString(), reason }, 'Tango requests parked');
  }

  async state(): Promise<BudgetState> {
    await this.ensureRow();
    const rows = await this.dataSource.query<
      {
        burst_limit: number | null;
        burst_remaining: number | null;
        burst_reset_at: Date | null;
        daily_limit: number | null;
        daily_remaining: number | null;
        daily_reset_at: Date | null;
        parked_until: Date | null;
        parked_reason: string | null;
        requests_total: string;
        throttled_total: string;
      }[]
    >('SELECT * FROM tango_request_budget WHERE account = $1', [this.account]);
    const row = rows[0];
    return {
      burstLimit: row?.burst_limit ?? null,
      burstRemaining: row?.burst_remaining ?? null,
      burstResetAt: row?.burst_reset_at ?? null,
      dailyLimit: row?.daily_limit ?? null,
      dailyRemaining: row?.daily_remaining ?? null,
      dailyResetAt: row?.daily_reset_at ?? null,
      parkedUntil: row?.parked_until ?? null,
      parkedReason: row?.parked_reason ?? null,
      requestsTotal: Number(row?.requests_total ?? 0),
      throttledTotal: Number(row?.throttled_total ?? 0),
    };
  }

  private async millisecondsUntilNextToken(reserveShare: number, burstReserveShare: number): Promise<number> {
    const rows = await this.dataSource.query<{ wait_ms: number | null }[]>(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (GREATEST(
                CASE WHEN parked_until > clock_timestamp() THEN parked_until END,
                CASE WHEN burst_remaining <= ceil(burst_limit * $3::float8) AND burst_reset_at > clock_timestamp()
                     THEN burst_reset_at END,
                CASE WHEN daily_remaining <= ceil(daily_limit * $2::float8) AND daily_reset_at > clock_timestamp()
                     THEN daily_reset_at END
              ) - clock_timestamp())) * 1000)::float8 AS wait_ms
         FROM tango_request_budget WHERE account = $1`,
      [this.account, reserveShare, burstReserveShare],
    );
    return rows[0]?.wait_ms ?? 100;
  }

  private async ensureRow(): Promise<void> {
    if (this.ensured) {
      return;
    }
    await this.dataSource.query(
      'INSERT INTO tango_request_budget (account) VALUES ($1) ON CONFLICT DO NOTHING',
      [this.account],
    );
    this.ensured = true;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}
