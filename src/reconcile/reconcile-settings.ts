import { type AppConfig } from '../config/app-config';

/** Injection token for the reconciliation settings (derived from AppConfig; tests may provide their own). */
export const RECONCILE_SETTINGS = Symbol('RECONCILE_SETTINGS');

export interface ReconcileSettings {
  /** Poll `GET /api/webhooks/alerts/` this often (ms); 0 turns the scheduled poll off. */
  readonly alertPollIntervalMs: number;
  /** Run gap detection and reconciliation sweeps this often (ms); 0 turns the schedule off. */
  readonly reconcileIntervalMs: number;
  /** An alert check younger than this may still have its delivery in Tango's retry schedule: wait before judging. */
  readonly gapGraceSeconds: number;
  /** Sweeps re-read this much before a gap's start (clock skew, late commits on Tango's side). */
  readonly overlapSeconds: number;
  /** Most list pages one gap's sweep may read per run. */
  readonly sweepMaxPages: number;
  /** Mirrored records re-fetched per family per run to spot modifications and deletions no filter exposes. */
  readonly driftSampleSize: number;
  /** Share of the daily quota sweeps may use (from HEALTH_RECONCILE_MAX_QUOTA_SHARE). */
  readonly maxQuotaShare: number;
  /** Fetch backlog age that marks a family degraded (HEALTH_LAG_DEGRADED_SECONDS). */
  readonly lagDegradedSeconds: number;
  /** Probe families whose shape Tango refused for the full shape this often (ms); 0 turns the probe off. */
  readonly shapeProbeIntervalMs: number;
  /** A non-paused alert not checked for this many times its frequency is degraded. */
  readonly alertStaleFactor: number;
}

/** Reads the reconciliation settings from the configuration (see docs/health.md for the env variables). */
export function reconcileSettingsFrom(config: AppConfig): ReconcileSettings {
  const { health } = config;
  return {
    alertPollIntervalMs: health.alertPollIntervalMs,
    reconcileIntervalMs: health.reconcileIntervalMs,
    gapGraceSeconds: health.gapGraceSeconds,
    overlapSeconds: health.overlapSeconds,
    sweepMaxPages: health.sweepMaxPages,
    driftSampleSize: health.driftSampleSize,
    shapeProbeIntervalMs: health.shapeProbeIntervalMs,
    maxQuotaShare: health.reconcileMaxQuotaShare,
    lagDegradedSeconds: health.lagDegradedSeconds,
    alertStaleFactor: 3,
  };
}
