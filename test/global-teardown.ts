interface Stoppable {
  stop(): Promise<unknown>;
}

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __TANGO_SYNC_CONTAINERS__?: Stoppable[] };
  for (const container of (holder.__TANGO_SYNC_CONTAINERS__ ?? []).reverse()) {
    await container.stop();
  }
  holder.__TANGO_SYNC_CONTAINERS__ = [];
}
