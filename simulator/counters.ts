/** Counters reported by `GET /_sim/state` and `GET /_sim/counters`. */
export interface CountersSnapshot {
  requestsByRoute: Record<string, number>;
  responsesByStatus: Record<string, number>;
  rateLimited: number;
  faultsInjected: Record<string, number>;
  deliveriesAttempted: number;
  deliveriesAcknowledged: number;
  deliveriesFailed: number;
  deliveriesGivenUp: number;
  deliveriesSkippedCircuitOpen: number;
  deliveriesDuplicated: number;
  eventsDispatched: number;
  alertEvaluations: number;
  /**
   * List query parameters Tango would silently ignore (not a filter, pagination or shaping parameter of the
   * family's contract), per family and parameter name: `{"forecasts": {"external_id": 3}}`.
   */
  ignoredListParams: Record<string, Record<string, number>>;
  /** List requests per family that carried no filter of the family's contract (only paging and shaping). */
  unfilteredListRequests: Record<string, number>;
}

type ScalarCounter = {
  [K in keyof CountersSnapshot]: CountersSnapshot[K] extends number ? K : never;
}[keyof CountersSnapshot];

export class Counters {
  private data: CountersSnapshot = Counters.empty();

  private static empty(): CountersSnapshot {
    return {
      requestsByRoute: {},
      responsesByStatus: {},
      rateLimited: 0,
      faultsInjected: {},
      deliveriesAttempted: 0,
      deliveriesAcknowledged: 0,
      deliveriesFailed: 0,
      deliveriesGivenUp: 0,
      deliveriesSkippedCircuitOpen: 0,
      deliveriesDuplicated: 0,
      eventsDispatched: 0,
      alertEvaluations: 0,
      ignoredListParams: {},
      unfilteredListRequests: {},
    };
  }

  request(route: string, status: number): void {
    this.data.requestsByRoute[route] = (this.data.requestsByRoute[route] ?? 0) + 1;
    const key = String(status);
    this.data.responsesByStatus[key] = (this.data.responsesByStatus[key] ?? 0) + 1;
  }

  fault(kind: string): void {
    this.data.faultsInjected[kind] = (this.data.faultsInjected[kind] ?? 0) + 1;
  }

  add(key: ScalarCounter, amount = 1): void {
    this.data[key] += amount;
  }

  ignoredListParam(family: string, param: string): void {
    const perFamily = (this.data.ignoredListParams[family] ??= {});
    perFamily[param] = (perFamily[param] ?? 0) + 1;
  }

  unfilteredListRequest(family: string): void {
    this.data.unfilteredListRequests[family] = (this.data.unfilteredListRequests[family] ?? 0) + 1;
  }

  snapshot(): CountersSnapshot {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = Counters.empty();
  }
}
