import { type SimClock } from './clock';
import { type Dataset } from './dataset/store';
import { type Family } from './options';
import { type Rng, createRng } from './prng';

const WEIGHTS: readonly [Family, number][] = [
  ['contracts', 40],
  ['idvs', 8],
  ['otas', 4],
  ['otidvs', 2],
  ['opportunities', 12],
  ['notices', 10],
  ['entities', 10],
  ['grants', 7],
  ['forecasts', 7],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

/** Keeps creating (30%) and modifying (70%) random records at a steady simulated rate, for the demo. */
export class Trickle {
  private timer: NodeJS.Timeout | undefined;
  private readonly rng: Rng;
  private rate = 0;

  constructor(
    private readonly dataset: Dataset,
    private readonly clock: SimClock,
    seed: number,
  ) {
    this.rng = createRng(`${seed}:trickle`);
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  setRate(ratePerSecond: number): void {
    this.stop();
    this.rate = ratePerSecond;
    if (ratePerSecond <= 0) {
      return;
    }
    const periodMs = Math.max(5, 1000 / (ratePerSecond * this.clock.timeScale));
    const perTick = Math.max(1, Math.round((ratePerSecond * this.clock.timeScale * periodMs) / 1000));
    this.timer = setInterval(() => {
      for (let n = 0; n < perTick; n += 1) {
        this.step();
      }
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  step(): void {
    let roll = this.rng.next() * TOTAL_WEIGHT;
    let family: Family = 'contracts';
    for (const [candidate, weight] of WEIGHTS) {
      roll -= weight;
      if (roll < 0) {
        family = candidate;
        break;
      }
    }
    const id = this.dataset.randomLiveId(family, this.rng.next());
    if (id === undefined || this.rng.chance(0.3)) {
      this.dataset.create(family);
      return;
    }
    this.dataset.modify(family, id);
  }
}
