import { Logger } from '@nestjs/common';
import { Client } from 'pg';

/**
 * The one Postgres session a process takes its job locks on: a connection of its own, outside the pool, that never
 * holds a transaction. Session-level advisory locks of different jobs live side by side on it, so a long reconcile
 * run keeps one lock and no pool connection. When the connection drops, every lock on it ends with it (as with a
 * crashed process) and the next tick opens a new session.
 */
export class JobLockSession {
  private readonly logger = new Logger(JobLockSession.name);
  private session: Promise<Client> | undefined;

  constructor(private readonly connectionString: string) {}

  /** Takes the lock if free; returns the session holding it (unlock there), or null when another holds it. */
  async tryLock(classId: number, job: string): Promise<Client | null> {
    const client = await this.connected();
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [classId, job],
    );
    return result.rows[0]?.locked === true ? client : null;
  }

  async unlock(client: Client, classId: number, job: string): Promise<void> {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [classId, job]);
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) {
      await session.then((client) => client.end()).catch(() => undefined);
    }
  }

  private connected(): Promise<Client> {
    this.session ??= this.open();
    return this.session;
  }

  private async open(): Promise<Client> {
    const client = new Client({
      connectionString: this.connectionString,
      application_name: 'tango-sync job locks',
    });
    const forget = (): void => {
      if (this.session !== undefined) {
        void this.session.then((current) => {
          if (current === client) {
            this.session = undefined;
          }
        });
      }
    };
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'job lock session lost; its locks ended with it');
      forget();
    });
    client.on('end', forget);
    try {
      await client.connect();
      return client;
    } catch (error) {
      this.session = undefined;
      throw error;
    }
  }
}
