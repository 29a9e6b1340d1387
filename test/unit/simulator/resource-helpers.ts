import { request } from 'undici';
import { type RunningSimulator } from '../../../simulator/index';

export const API_KEY = 'sim-key';

export type Row = Readonly<Record<string, unknown>>;

export interface PageBody {
  count: number;
  next: string | null;
  previous: string | null;
  results: Row[];
}

export interface JsonResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

/** A request to the simulator with the API key, the JSON body parsed when there is one. */
export async function call<T = Row>(
  sim: RunningSimulator,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<JsonResponse<T>> {
  const response = await request(`${sim.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = await response.body.text();
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    headers[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return {
    status: response.statusCode,
    headers,
    body: payload === '' ? (undefined as T) : (JSON.parse(payload) as T),
  };
}

/** Follows `next` links from `first` and returns every page (each must answer 200). */
export async function walkPages(sim: RunningSimulator, first: string): Promise<PageBody[]> {
  const pages: PageBody[] = [];
  let path: string | null = first;
  while (path !== null) {
    const page: JsonResponse<PageBody> = await call<PageBody>(sim, 'GET', path);
    if (page.status !== 200) {
      throw new Error(`${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
    }
    pages.push(page.body);
    const next: string | null = page.body.next;
    path = next === null ? null : `${new URL(next).pathname}${new URL(next).search}`;
  }
  return pages;
}

/** Text of a string or number id; anything else as JSON. */
export function idText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
