import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

type Listener = () => void;

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * LISTEN/NOTIFY on one dedicated connection. Subscribers are woken on each notification of their channel, and
 * once more after every reconnect (notifications sent while disconnected are lost, so they must look for work).
 * Delivery is best-effort by design: relays also poll.
 */
@Injectable()
export class PostgresNotifications implements OnApplicationShutdown {
  private readonly logger = new Logger(PostgresNotifications.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) {
      throw new Error(`invalid channel name "${channel}"`);
    }
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.client !== undefined) {
        await this.client.query(`LISTEN ${channel}`).catch(() => undefined);
      }
    }
    set.add(listener);
    await this.ensureConnected();
    return () => {
      set.delete(listener);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private ensureConnected(): Promise<void> {
    if (this.client !== undefined || this.closed) {
      return Promise.resolve();
    }
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.db.url,
      application_name: 'tango-sync-listen',
    });
    client.on('notification', (message) => {
      this.wake(message.channel);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'notification connection failed');
      this.dropAndReconnect(client);
    });
    client.on('end', () => {
      this.dropAndReconnect(client);
    });
    try {
      await client.connect();
      for (const channel of this.listeners.keys()) {
        await client.query(`LISTEN ${channel}`);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot listen for notifications yet; relays keep polling');
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Anything notified while we were not listening is found by a wake-up now.
    for (const channel of this.listeners.keys()) {
      this.wake(channel);
    }
  }

  private dropAndReconnect(client: Client): void {
    if (this.client !== client) {
      return;
    }
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) {
      return;
    }
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.ensureConnected();
    }, delay);
    this.reconnectTimer.unref();
  }

  private wake(channel: string): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      listener();
    }
  }
}
