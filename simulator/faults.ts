import { type FaultSettings, faultSettingsSchema } from './options';
import { type Rng, createRng } from './prng';

export type FaultKind =
  'none' | 'server-error' | 'timeout' | 'drop' | 'truncate' | 'error-200' | 'rate-limit-storm';

export interface FaultDecision {
  readonly kind: FaultKind;
  readonly latencyMs: number;
  /** 500, 502, 503 or 504 for `server-error`. */
  readonly status: number;
}

/** Decides, per request, which injected fault (if any) it gets. Seeded, and switchable at run time. */
export class FaultInjector {
  private readonly rng: Rng;
  private pattern: RegExp;

  constructor(
    private settings: FaultSettings,
    seed: number,
  ) {
    this.rng = createRng(`${seed}:faults`);
    this.pattern = new RegExp(settings.pathPattern);
  }

  current(): FaultSettings {
    return this.settings;
  }

  /** Merges `patch` into the current settings (`{}` keeps them; use `reset()` to switch every fault off). */
  update(patch: Partial<FaultSettings>): FaultSettings {
    this.settings = faultSettingsSchema.parse({ ...this.settings, ...patch });
    this.pattern = new RegExp(this.settings.pathPattern);
    return this.settings;
  }

  reset(): FaultSettings {
    return this.update(faultSettingsSchema.parse({}));
  }

  decide(path: string): FaultDecision {
    const s = this.settings;
    const latencyMs = s.latencyMs + (s.latencyJitterMs > 0 ? this.rng.int(0, s.latencyJitterMs) : 0);
    if (!this.pattern.test(path)) {
      return { kind: 'none', latencyMs: 0, status: 200 };
    }
    const roll = this.rng.next();
    const table: [FaultKind, number][] = [
      ['server-error', s.serverErrorRate],
      ['timeout', s.timeoutRate],
      ['drop', s.dropRate],
      ['truncate', s.truncateRate],
      ['error-200', s.errorIn200Rate],
      ['rate-limit-storm', s.rateLimitStormRate],
    ];
    let threshold = 0;
    for (const [kind, rate] of table) {
      threshold += rate;
      if (roll < threshold) {
        return {
          kind,
          latencyMs,
          status: kind === 'server-error' ? this.rng.pick([500, 502, 503, 504]) : 200,
        };
      }
    }
    return { kind: 'none', latencyMs, status: 200 };
  }
}
