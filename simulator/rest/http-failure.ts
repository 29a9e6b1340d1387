import { type JsonObject } from '../dataset/json';

/** A response the REST layer answers instead of data (DRF-style bodies, as Tango sends them). */
export class HttpFailure extends Error {
  readonly code = 'SIMULATOR.HTTP_FAILURE';

  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(`HTTP ${status}`);
  }
}

export function notFound(modelName: string): HttpFailure {
  return new HttpFailure(404, { detail: `No ${modelName} matches the given query.` });
}
