/**
 * The whole system in one process: line-provider's real gRPC server, bet-maker's HTTP server and watcher, and a
 * real PostgreSQL. Events are created and finished through line-provider's gRPC API, bets through bet-maker's
 * REST API, exactly as the README's walk-through does.
 */
import test from 'ava';
import { pino } from 'pino';
import { createApp as createBetMaker, type App as BetMaker, type Running } from '../bet-maker/src/app.js';
import { createTestDatabase } from '../bet-maker/test/helpers/database.js';
import { testConfig } from '../bet-maker/test/helpers/harness.js';
import { get, postBet } from '../bet-maker/test/helpers/http.js';
import type { EventStore } from '../line-provider/src/app.js';
import { createApp as createLineProvider, type App as LineProvider } from '../line-provider/src/app.js';
import { buildConfig } from '../line-provider/src/config.js';
import { EventStatus, lineProviderClient } from './helpers/grpc.js';

const silent = pino({ level: 'silent' });
const inAnHour = () => new Date(Date.now() + 3_600_000);

interface System {
  lineProvider: LineProvider;
  lineProviderPort: number;
  betMaker: BetMaker;
  run: Running;
  base: string;
}

let db: { url: string; drop(): Promise<void> };
let system: System;

/** Starts line-provider on `port` (0: any) around `store` (a new one when absent). */
async function startLineProvider(port: number, store?: EventStore) {
  const app = createLineProvider(
    buildConfig({ host: '127.0.0.1', port, logLevel: 'silent', heartbeatMs: 200 }),
    {
      logger: silent,
      ...(store === undefined ? {} : { store }),
    },
  );
  const started = await app.start();
  return { app, port: started.port };
}

/** Resolves once bet-maker's watcher has applied line-provider's current revision. */
function caughtUp(): Promise<void> {
  const done = () => {
    const at = system.run.watcher.position();
    return (
      at !== undefined &&
      at.instanceId === system.lineProvider.store.instanceId &&
      at.revision >= system.lineProvider.store.revision
    );
  };
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      system.run.watcher.off('applied', check);
      resolve();
    };
    system.run.watcher.on('applied', check);
  });
}

/** Resolves when the settler reports `eventId` settled. */
function settled(eventId: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (id: string, n: number) => {
      if (id !== eventId) return;
      system.run.settler.off('settled', on);
      resolve(n);
    };
    system.run.settler.on('settled', on);
  });
}

interface BetBody {
  bet_id: string;
  event_id: string;
  amount: string;
  coefficient: string;
  status: string;
}

test.before(async () => {
  db = await createTestDatabase();
  const lp = await startLineProvider(0);
  const betMaker = createBetMaker(testConfig(db.url, `127.0.0.1:${lp.port}`), { logger: silent });
  const run = await betMaker.start();
  system = {
    lineProvider: lp.app,
    lineProviderPort: lp.port,
    betMaker,
    run,
    base: `http://127.0.0.1:${run.port}`,
  };
  if (!run.watcher.synced) await new Promise<void>((resolve) => run.watcher.once('synced', resolve));
});

test.after.always(async () => {
  await system?.betMaker.stop();
  await system?.lineProvider.stop();
  await db?.drop();
});

test.serial(
  'when an event is created, finished WIN and LOSE over gRPC, then its bets become WON and LOST',
  async (t) => {
    const grpc = lineProviderClient(`127.0.0.1:${system.lineProviderPort}`);
    t.teardown(() => grpc.close());
    await grpc.createEvent('e2e-win', '1.75', inAnHour());
    await grpc.createEvent('e2e-lose', '3.10', inAnHour());
    await caughtUp();

    const events = await get<{ event_id: string; coefficient: string }[]>(system.base, '/events');
    t.is(events.status, 200);
    const ours = events.body
      .filter((e) => e.event_id.startsWith('e2e-'))
      .map((e) => `${e.event_id}@${e.coefficient}`)
      .sort();
    t.deepEqual(ours, ['e2e-lose@3.10', 'e2e-win@1.75']);

    const win = await postBet<BetBody>(system.base, { event_id: 'e2e-win', amount: '10.50' });
    const lose = await postBet<BetBody>(system.base, { event_id: 'e2e-lose', amount: 3 });
    t.is(win.status, 201);
    t.is(lose.status, 201);
    t.like(win.body, { event_id: 'e2e-win', amount: '10.50', coefficient: '1.75', status: 'PENDING' });
    t.like(lose.body, { event_id: 'e2e-lose', amount: '3.00', coefficient: '3.10', status: 'PENDING' });

    const bothSettled = Promise.all([settled('e2e-win'), settled('e2e-lose')]);
    await grpc.finishEvent('e2e-win', EventStatus.EVENT_STATUS_FINISHED_WIN);
    await grpc.finishEvent('e2e-lose', EventStatus.EVENT_STATUS_FINISHED_LOSE);
    await bothSettled;

    t.like((await get<BetBody>(system.base, `/bets/${win.body.bet_id}`)).body, { status: 'WON' });
    t.like((await get<BetBody>(system.base, `/bets/${lose.body.bet_id}`)).body, { status: 'LOST' });
    const finishedGone = await get<{ event_id: string }[]>(system.base, '/events');
    t.false(finishedGone.body.some((e) => e.event_id.startsWith('e2e-')));
  },
);

test.serial(
  'when a bet targets a finished event, then it is refused with 409 and nothing is stored',
  async (t) => {
    const grpc = lineProviderClient(`127.0.0.1:${system.lineProviderPort}`);
    t.teardown(() => grpc.close());
    await grpc.createEvent('e2e-closed', '2.00', inAnHour());
    await grpc.finishEvent('e2e-closed', EventStatus.EVENT_STATUS_FINISHED_WIN);
    await caughtUp();

    const refused = await postBet<{ status: number; type: string }>(system.base, {
      event_id: 'e2e-closed',
      amount: '5',
    });
    t.is(refused.status, 409);
    t.regex(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    const bets = await get<BetBody[]>(system.base, '/bets?event_id=e2e-closed');
    t.deepEqual(bets.body, []);
  },
);

test.serial(
  'when line-provider goes away and the event finishes meanwhile, then the bets settle once it is back',
  async (t) => {
    const grpc = lineProviderClient(`127.0.0.1:${system.lineProviderPort}`);
    await grpc.createEvent('e2e-outage', '1.40', inAnHour());
    grpc.close();
    await caughtUp();
    const bet = await postBet<BetBody>(system.base, { event_id: 'e2e-outage', amount: '20' });
    t.is(bet.status, 201);

    // The stream is cut: line-provider stops; its events survive in the store, as a journal would keep them.
    const store = system.lineProvider.store;
    const disconnected = new Promise<void>((resolve) => {
      const on = (state: string) => {
        if (state === 'live') return;
        system.run.watcher.off('state', on);
        resolve();
      };
      system.run.watcher.on('state', on);
    });
    await system.lineProvider.stop();
    await disconnected;
    await store.finish('e2e-outage', 'FINISHED_LOSE');

    const done = settled('e2e-outage');
    const restarted = await startLineProvider(system.lineProviderPort, store);
    system.lineProvider = restarted.app;
    await done;

    t.like((await get<BetBody>(system.base, `/bets/${bet.body.bet_id}`)).body, { status: 'LOST' });
    const pending = await get<BetBody[]>(system.base, '/bets?status=PENDING&event_id=e2e-outage');
    t.deepEqual(pending.body, []);
  },
);
