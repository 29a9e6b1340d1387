import { z } from 'zod';

/** A Tango API version as Tango prints it (`4.22.0`): major, minor, patch. */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The canonical text, `major.minor.patch`. */
  readonly text: string;
}

const VERSION_TEXT = /^v?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?$/;

/** What an `x-tango-api-version` header (or a vendored file name) may hold: one version, nothing else. */
export const apiVersionText = z
  .string()
  .trim()
  .regex(VERSION_TEXT)
  .transform((text): ApiVersion => {
    const [, major = '0', minor = '0', patch = '0'] = VERSION_TEXT.exec(text) ?? [];
    const parts = { major: Number(major), minor: Number(minor), patch: Number(patch) };
    return { ...parts, text: `${parts.major}.${parts.minor}.${parts.patch}` };
  });

/** The version in a header value or text, or null when it is missing, repeated or not a version. */
export function parseApiVersion(value: unknown): ApiVersion | null {
  const parsed = apiVersionText.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareApiVersions(a: ApiVersion, b: ApiVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Whether `live` has a newer major or minor version than `vendored` (a newer patch alone is not). */
export function isNewerMinor(live: ApiVersion, vendored: ApiVersion): boolean {
  return live.major > vendored.major || (live.major === vendored.major && live.minor > vendored.minor);
}
