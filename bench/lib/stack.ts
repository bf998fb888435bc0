import { createBenchDatabase, type BenchDatabase } from './database.js';
import { waitFor } from './concurrency.js';
import { connectProvider, type Provider } from './grpc.js';
import { startBetMaker, startLineProvider, type ChildService } from './services.js';
import type { RunContext } from './types.js';

/** A fresh database, line-provider and bet-maker (as child processes), and a client for each. */
export interface Stack {
  db: BenchDatabase;
  lp: ChildService;
  bm: ChildService;
  provider: Provider;
  /** bet-maker's base URL. */
  base: string;
  /** Starts bet-maker again (after `bm.stop()`) on the same database; replaces `bm` and `base`. */
  restartBetMaker(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  betMakerEnv?: Record<string, string>;
  lineProviderEnv?: Record<string, string>;
  /** Extra connections in the bench's own pool (baselines that run many clients need more). */
  benchPoolSize?: number;
}

export async function startStack(ctx: RunContext, name: string, opts: StackOptions = {}): Promise<Stack> {
  const db = await createBenchDatabase(opts.benchPoolSize ?? 4);
  const logDir = ctx.tmpDir;
  const lp = await startLineProvider({
    logDir,
    entry: ctx.entry['line-provider'],
    name: `${name}.line-provider`,
    env: opts.lineProviderEnv ?? {},
  });
  const provider = connectProvider(lp.port);
  const startBm = () =>
    startBetMaker({
      logDir,
      entry: ctx.entry['bet-maker'],
      name: `${name}.bet-maker`,
      databaseUrl: db.url,
      lineProviderPort: lp.port,
      env: opts.betMakerEnv ?? {},
    });
  const stack: Stack = {
    db,
    lp,
    bm: await startBm(),
    provider,
    base: '',
    restartBetMaker: async () => {
      stack.bm = await startBm();
      stack.base = `http://127.0.0.1:${stack.bm.port}`;
    },
    stop: async () => {
      provider.close();
      await stack.bm.stop();
      await lp.stop();
      await db.drop();
    },
  };
  stack.base = `http://127.0.0.1:${stack.bm.port}`;
  await waitReady(stack.base, 60_000);
  return stack;
}

/** Polls GET /readyz until it answers 200. */
export async function waitReady(base: string, timeoutMs: number, everyMs = 20): Promise<void> {
  await waitFor(
    `${base}/readyz`,
    async () => {
      const res = await fetch(`${base}/readyz`).catch(() => undefined);
      await res?.body?.cancel();
      return res?.status === 200;
    },
    timeoutMs,
    everyMs,
  );
}

/** Waits until bet-maker's events table holds `revision` (the mirror caught up with the provider). */
export async function waitCaughtUp(stack: Stack, revision: number, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `bet-maker to apply revision ${revision}`,
    async () => {
      const res = await stack.db.pool.query<{ r: string | null }>(
        'SELECT max(revision)::text AS r FROM events',
      );
      return Number(res.rows[0]?.r ?? 0) >= revision;
    },
    timeoutMs,
    25,
  );
}
