import { readFileSync } from 'node:fs';
import { parseSecretList } from '../config/secret-files';

/** A signature no secret matched re-reads the file at most this often. */
const RELOAD_ON_MISMATCH_EVERY_MS = 1_000;
/** Otherwise the file is read again this often, so a secret removed from it stops verifying without a restart. */
const RELOAD_EVERY_MS = 30_000;

/**
 * The secrets deliveries are verified with. From WEBHOOK_SECRETS they are fixed; from WEBHOOK_SECRETS_FILE (a
 * Docker or Kubernetes secret, which is updated in place) they follow the file: a delivery no secret verifies
 * makes it read the file again (at most once a second), and it is read every 30 s anyway. So a rotation, or the
 * secret `tango apply --secret-file` writes for a new endpoint, takes effect without a restart. A file that cannot
 * be read, or is empty, keeps the secrets already loaded.
 */
export class WebhookSecrets {
  private secrets: readonly string[];
  private readAt: number;

  constructor(
    initial: readonly string[],
    private readonly file: string | undefined,
    private readonly now: () => number = Date.now,
    private readonly read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  ) {
    this.secrets = initial;
    this.readAt = now();
  }

  /** The secrets to verify with now. */
  current(): readonly string[] {
    if (this.file !== undefined && this.now() - this.readAt >= RELOAD_EVERY_MS) {
      this.reload();
    }
    return this.secrets;
  }

  /** After a signature no secret matched: re-reads the file (throttled); true when the secrets changed. */
  reloadAfterMismatch(): boolean {
    if (this.file === undefined || this.now() - this.readAt < RELOAD_ON_MISMATCH_EVERY_MS) {
      return false;
    }
    return this.reload();
  }

  private reload(): boolean {
    this.readAt = this.now();
    if (this.file === undefined) {
      return false;
    }
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
