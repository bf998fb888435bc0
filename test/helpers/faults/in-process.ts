/**
 * The two services inside the test process, for faults that need no process of their own: the test then
 * awaits their events (watcher state, settlement) instead of polling, and drives line-provider's store
 * directly. Each is stopped in the test's teardown.
 */
import type { ExecutionContext } from 'ava';
import { pino, type Logger } from 'pino';
import { createApp as createBetMakerApp, type App, type Running } from '../../../bet-maker/src/app.js';
import type { Config } from '../../../bet-maker/src/config.js';
import type { Position } from '../../../bet-maker/src/watch/session.js';
import type { StreamState } from '../../../bet-maker/src/watch/watcher.js';
import { testConfig } from '../../../bet-maker/test/helpers/harness.js';
import { createApp as createProviderApp, type App as ProviderApp } from '../../../line-provider/src/app.js';
import { buildConfig, type Config as ProviderConfig } from '../../../line-provider/src/config.js';
import type { LogLine } from './services.js';
import { within } from './wait-for.js';

/** A line-provider in this process. */
export interface Provider {
  app: ProviderApp;
  port: number;
  /** `127.0.0.1:<port>` */
  address: string;
  /** Creates a NEW event (deadline an hour ahead unless given). */
  open(eventId: string, opts?: { coefficient?: string; deadline?: Date }): Promise<void>;
  finish(eventId: string, win: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startProvider(
  t: ExecutionContext,
  overrides: Partial<ProviderConfig> = {},
): Promise<Provider> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const config = buildConfig({
    host: '127.0.0.1',
    port: 0,
    heartbeatMs: 500,
    logLevel: 'silent',
    ...overrides,
  });
  const app = createProviderApp(config, { logger });
  const { port } = await app.start();
  t.teardown(() => app.stop());
  return {
    app,
    port,
    address: `127.0.0.1:${port}`,
    open: async (eventId, opts = {}) => {
      await app.store.create({
        eventId,
        coefficient: opts.coefficient ?? '1.50',
        deadline: opts.deadline ?? new Date(Date.now() + 3_600_000),
      });
    },
    finish: async (eventId, win) => {
      await app.store.finish(eventId, win ? 'FINISHED_WIN' : 'FINISHED_LOSE');
    },
    stop: () => app.stop(),
  };
}

/** A bet-maker in this process, with its log lines captured. */
export interface BetMaker {
  app: App;
  run: Running;
  base: string;
  logs: LogLine[];
  stop(): Promise<void>;
}

/** A pino logger that keeps every line (and echoes it when TEST_LOG_LEVEL is set). */
export function capturingLogger(lines: LogLine[], name = 'bet-maker'): Logger {
  const echo = process.env.TEST_LOG_LEVEL !== undefined;
  return pino(
    { level: 'info', base: { service: name } },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as LogLine);
        if (echo) process.stderr.write(line);
      },
    },
  );
}

/** Starts bet-maker on `databaseUrl` against line-provider at `target` (tests' quick backoff). */
export async function startBetMaker(
  t: ExecutionContext,
  databaseUrl: string,
  target: string,
  overrides: Partial<Config> = {},
): Promise<BetMaker> {
  const logs: LogLine[] = [];
  const app = createBetMakerApp(testConfig(databaseUrl, target, overrides), {
    logger: capturingLogger(logs),
  });
  const run = await app.start();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= app.stop());
  t.teardown(stop);
  return { app, run, base: `http://127.0.0.1:${run.port}`, logs, stop };
}

/** Resolves when the watcher is in `state` (now or later), or fails after `timeoutMs`. */
export function watcherState(bm: BetMaker, state: StreamState, timeoutMs = 15_000): Promise<void> {
  const w = bm.run.watcher;
  if (w.state === state) return Promise.resolve();
  let on: ((s: StreamState) => void) | undefined;
  const reached = new Promise<void>((resolve) => {
    on = (s) => s === state && resolve();
    w.on('state', on);
  });
  return within(reached, timeoutMs, `watcher ${state}`).finally(() => on && w.off('state', on));
}

/** Resolves with the watcher's position once one it applied satisfies `done` (now or later). */
export function appliedWhere(
  bm: BetMaker,
  done: (at: Position) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Position> {
  const w = bm.run.watcher;
  const now = w.position();
  if (now !== undefined && done(now)) return Promise.resolve(now);
  let on: ((at: Position) => void) | undefined;
  const reached = new Promise<Position>((resolve) => {
    on = (at) => done(at) && resolve(at);
    w.on('applied', on);
  });
  return within(reached, timeoutMs, what).finally(() => on && w.off('applied', on));
}

/** Resolves once the watcher has applied `revision` of the provider instance `instanceId`. */
export async function caughtUp(
  bm: BetMaker,
  instanceId: string,
  revision: number,
  timeoutMs = 15_000,
): Promise<void> {
  await appliedWhere(
    bm,
    (at) => at.instanceId === instanceId && at.revision >= BigInt(revision),
    `watcher at ${instanceId}@${revision}`,
    timeoutMs,
  );
}

/** Resolves when bet-maker caught up with everything `provider` has published. */
export function caughtUpWith(bm: BetMaker, provider: Provider, timeoutMs?: number): Promise<void> {
  return caughtUp(bm, provider.app.instanceId, provider.app.store.revision, timeoutMs);
}

/** The value of a counter or gauge of bet-maker's metrics, summed over labels (filtered when given). */
export async function metricValue(
  bm: BetMaker,
  name: 'betsSettled' | 'reconnects' | 'applyRetries' | 'orphanedBets' | 'betsPlaced',
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await bm.app.metrics[name].get();
  return values
    .filter((v) =>
      Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
    )
    .reduce((sum, v) => sum + v.value, 0);
}
