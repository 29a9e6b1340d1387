import { readFileSync } from 'node:fs';

/** Settings that may come from a file (Docker and Kubernetes secrets), as `<KEY>_FILE`. */
export const SECRET_FILE_KEYS = ['WEBHOOK_SECRETS', 'TANGO_API_KEY', 'CONSOLE_TOKEN'] as const;

export type SecretFileKey = (typeof SECRET_FILE_KEYS)[number];

export type ReadSecretFile = (path: string) => string;

const readUtf8: ReadSecretFile = (path) => readFileSync(path, 'utf8');

/** A secrets file's content: one secret per line, or comma-separated; blank lines and surrounding spaces dropped. */
export function parseSecretList(content: string): string[] {
  return content
    .split(/[\r\n,]+/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/**
 * The raw environment with each `<KEY>_FILE` replaced by the file's content under `<KEY>`: trailing newlines
 * dropped, and for WEBHOOK_SECRETS one secret per line or comma-separated. Setting both `<KEY>` and `<KEY>_FILE`,
 * or naming a file that cannot be read, is a problem (the message names the key and the path, never the content).
 * Only `keys` are looked at (a command reads the files of the settings it uses, no other).
 */
export function resolveSecretFiles(
  raw: Readonly<Record<string, string | undefined>>,
  readFile: ReadSecretFile = readUtf8,
  keys: readonly SecretFileKey[] = SECRET_FILE_KEYS,
): { env: Record<string, string | undefined>; problems: string[] } {
  const env: Record<string, string | undefined> = { ...raw };
  const problems: string[] = [];
  for (const key of keys) {
    const path = raw[`${key}_FILE`];
    if (path === undefined || path === '') {
      continue;
    }
    if (raw[key] !== undefined && raw[key] !== '') {
      problems.push(`${key}_FILE: set ${key} or ${key}_FILE, not both`);
      continue;
    }
    let content: string;
    try {
      content = readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${key}_FILE: cannot read ${path} (${code})`);
      continue;
    }
    const value =
      key === 'WEBHOOK_SECRETS' ? parseSecretList(content).join(',') : content.replace(/[\r\n]+$/, '');
    if (value === '') {
      problems.push(`${key}_FILE: ${path} is empty`);
      continue;
    }
    env[key] = value;
  }
  return { env, problems };
}
