import { pino } from 'pino';
import { createApp, type App, type AppDeps, type Running } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { FakeLineProvider } from './fake-line-provider.js';

/** A config for tests: port 0, quick backoff, fast settlement batches; override anything. */
export function testConfig(
  databaseUrl: string,
  lineProviderUrl: string,
  overrides: Partial<Config> = {},
): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    dataDir: '.data',
    embeddedPgPort: 0,
    dbPoolSize: 5,
    lineProviderUrl,
    logLevel: 'silent',
    watchIdleTimeoutMs: 30_000,
    backoffMinMs: 5,
    backoffMaxMs: 50,
    keepaliveTimeMs: 10_000,
    keepaliveTimeoutMs: 5_000,
    settlementBatchSize: 1000,
    sweeperIntervalMs: 3_600_000,
    shutdownTimeoutMs: 2_000,
    ...overrides,
  };
}

/** A running bet-maker wired to a fake line-provider. */
export interface Harness {
  fake: FakeLineProvider;
  app: App;
  run: Running;
  base: string;
  stop(): Promise<void>;
}

/** Starts a fake line-provider (unless given) and a bet-maker against `databaseUrl`. */
export async function startHarness(
  databaseUrl: string,
  opts: { fake?: FakeLineProvider; config?: Partial<Config>; deps?: AppDeps } = {},
): Promise<Harness> {
  const fake = opts.fake ?? (await FakeLineProvider.start());
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = createApp(testConfig(databaseUrl, fake.address, opts.config), { logger, ...opts.deps });
  const run = await app.start();
  return {
    fake,
    app,
    run,
    base: `http://127.0.0.1:${run.port}`,
    stop: async () => {
      await app.stop();
      if (opts.fake === undefined) await fake.stop();
    },
  };
}

/** Resolves once the watcher has applied everything the fake has published. */
export async function caughtUp(h: Harness): Promise<void> {
  const done = () => {
    const at = h.run.watcher.position();
    return at !== undefined && at.instanceId === h.fake.instanceId && at.revision >= h.fake.revision;
  };
  if (done()) return;
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!done()) return;
      h.run.watcher.off('applied', check);
      resolve();
    };
    h.run.watcher.on('applied', check);
  });
}

/** Resolves when the settler has settled `eventId` (the next `settled` event for it). */
export function settled(h: Harness, eventId: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (id: string, n: number) => {
      if (id !== eventId) return;
      h.run.settler.off('settled', on);
      resolve(n);
    };
    h.run.settler.on('settled', on);
  });
}

/** Resolves when the watcher reaches `state`. */
export function stateReached(h: Harness, state: 'live' | 'disconnected' | 'connecting'): Promise<void> {
  if (h.run.watcher.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (s: string) => {
      if (s !== state) return;
      h.run.watcher.off('state', on);
      resolve();
    };
    h.run.watcher.on('state', on);
  });
}

/**
 * A harness whose fake provider already has `ids` open, stopped (with its fake) when the test ends; resolves
 * once bet-maker has caught up and is live.
 */
export async function liveHarness(
  t: { teardown(fn: () => Promise<void>): void },
  databaseUrl: string,
  ids: string[],
): Promise<Harness> {
  const fake = await FakeLineProvider.start();
  for (const id of ids) fake.put({ id });
  const h = await startHarness(databaseUrl, { fake });
  t.teardown(async () => {
    await h.stop();
    await fake.stop();
  });
  await caughtUp(h);
  await stateReached(h, 'live');
  return h;
}

/** How many times the watcher reconnected for `reason` (its metric). */
export async function reconnects(h: Harness, reason: string): Promise<number> {
  const values = (await h.app.metrics.reconnects.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}
