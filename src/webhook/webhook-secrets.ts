import { readFileSync, statSync } from 'node:fs';
import { parseSecretList } from '../config/secret-files';

/** The file is read again this often anyway, so a secret removed from it stops verifying without a restart. */
const RELOAD_EVERY_MS = 30_000;

/** What says a file changed: its modification time and size (a stat, no read). */
export type FileVersion = (path: string) => string;

const statVersion: FileVersion = (path) => {
  const stats = statSync(path);
  return `${stats.mtimeMs}:${stats.size}`;
};

/**
 * The secrets deliveries are verified with. From WEBHOOK_SECRETS they are fixed; from WEBHOOK_SECRETS_FILE (a
 * Docker or Kubernetes secret, which is updated in place) they follow the file: a delivery no secret verifies makes
 * the worker look at the file (a stat) and read it again when it changed, and it is read every 30 s anyway. So a
 * rotation, or the secret `tango apply --secret-file` writes for a new endpoint, takes effect without a restart. A
 * file that cannot be read, or is empty, keeps the secrets already loaded.
 */
export class WebhookSecrets {
  private secrets: readonly string[];
  private readAt: number;
  private version: string | undefined;

  constructor(
    initial: readonly string[],
    private readonly file: string | undefined,
    private readonly now: () => number = Date.now,
    private readonly read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
    private readonly versionOf: FileVersion = statVersion,
  ) {
    this.secrets = initial;
    this.readAt = now();
    this.version = this.currentVersion();
  }

  /** The secrets to verify with now. */
  current(): readonly string[] {
    if (this.file !== undefined && this.now() - this.readAt >= RELOAD_EVERY_MS) {
      this.reload();
    }
    return this.secrets;
  }

  /** After a signature no secret matched: re-reads the file if it changed; true when the secrets changed. */
  reloadAfterMismatch(): boolean {
    if (this.file === undefined) {
      return false;
    }
    const version = this.currentVersion();
    if (version === undefined || version === this.version) {
      return false;
    }
    return this.reload();
  }

  private currentVersion(): string | undefined {
    if (this.file === undefined) {
      return undefined;
    }
    try {
      return this.versionOf(this.file);
    } catch {
      return undefined;
    }
  }

  private reload(): boolean {
    this.readAt = this.now();
    if (this.file === undefined) {
      return false;
    }
    this.version = this.currentVersion();
    let next: string[];
    try {
      next = parseSecretList(this.read(this.file));
    } catch {
      return false;
    }
    if (next.length === 0 || next.join('\n') === this.secrets.join('\n')) {
      return false;
    }
    this.secrets = next;
    return true;
  }
}
