/**
 * bet-maker against the real line-provider with access control on: with the reader token it syncs, takes
 * bets and settles them; with a wrong or no token it is not ready and says why; over TLS and mutual TLS it
 * works with the CA (and client certificate) and not without. Both services run in this process, each
 * configured the way its environment would configure it.
 */
import { execFileSync } from 'node:child_process';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { createApp as createBetMaker, type App as BetMaker } from '../bet-maker/src/app.js';
import { loadConfig as loadBetMakerConfig } from '../bet-maker/src/config.js';
import { createTestDatabase, type TestDatabase } from '../bet-maker/test/helpers/database.js';
import { createApp as createLineProvider, type App as LineProvider } from '../line-provider/src/app.js';
import { buildConfig, type Config as LineProviderConfig } from '../line-provider/src/config.js';
import { makeCertificates, type TestCertificates } from '../line-provider/test/tls-certificates.js';
import { eventually } from './helpers/process.js';

const READER = 'reader-token-0123456789';
const ADMIN = 'admin-token-0123456789';

const test = anyTest as TestFn<{ db: TestDatabase; certs?: TestCertificates }>;
const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

test.before(async (t) => {
  t.context.db = await createTestDatabase();
  if (hasOpenssl) t.context.certs = await makeCertificates();
});
test.after.always(async (t) => {
  await t.context.certs?.remove();
  await t.context.db?.drop();
});

interface Readiness {
  status: string;
  checks: { event_stream: string; line_provider_access: string };
  detail?: string;
}

/** A line-provider (tokens on) and a bet-maker configured from `env`; both stopped when the test ends. */
async function start(
  t: { context: { db: TestDatabase }; teardown(fn: () => Promise<void>): void },
  provider: Partial<LineProviderConfig>,
  env: Record<string, string>,
): Promise<{ lineProvider: LineProvider; betMaker: BetMaker; base: string }> {
  const lineProvider = createLineProvider(
    buildConfig({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      adminToken: ADMIN,
      readToken: READER,
      ...provider,
    }),
    { logger: silent },
  );
  const { port } = await lineProvider.start();
  const betMaker = createBetMaker(
    loadBetMakerConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: t.context.db.url,
      LINE_PROVIDER_URL: `127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
      WATCH_BACKOFF_MIN_MS: '10',
      WATCH_BACKOFF_MAX_MS: '200',
      ...env,
    }),
    { logger: silent },
  );
  t.teardown(async () => {
    await betMaker.stop();
    await lineProvider.stop();
  });
  const run = await betMaker.start();
  return { lineProvider, betMaker, base: `http://127.0.0.1:${run.port}` };
}

async function readiness(base: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

const becomes = (base: string, what: string, ok: (r: { status: number; body: Readiness }) => boolean) =>
  eventually(
    what,
    async () => {
      const r = await readiness(base);
      return ok(r) ? r : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );

test.serial('when bet-maker has the reader token, then it syncs, takes bets and settles them', async (t) => {
  const { lineProvider, base } = await start(t, {}, { LINE_PROVIDER_READ_TOKEN: READER });
  await becomes(base, '/readyz 200', (r) => r.status === 200);
  const eventId = `tok-${process.pid}`;
  await lineProvider.store.create({
    eventId,
    coefficient: '1.80',
    deadline: new Date(Date.now() + 3_600_000),
  });
  await eventually(
    'the event is listed',
    async () => {
      const events = (await (await fetch(`${base}/events`)).json()) as { event_id: string }[];
      return events.some((e) => e.event_id === eventId) ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const placed = await fetch(`${base}/bet`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_id: eventId, amount: '3.00' }),
  });
  t.is(placed.status, 201);
  const bet = (await placed.json()) as { bet_id: string };
  await lineProvider.store.finish(eventId, 'FINISHED_WIN');
  await eventually(
    'the bet is WON',
    async () => {
      const b = (await (await fetch(`${base}/bets/${bet.bet_id}`)).json()) as { status: string };
      return b.status === 'WON' ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  t.is((await readiness(base)).body.checks.line_provider_access, 'ok');
});

for (const [name, env, code] of [
  ['a wrong token', { LINE_PROVIDER_READ_TOKEN: 'not-the-reader-token' }, 'permission_denied'],
  ['no token', {}, 'unauthenticated'],
] as const) {
  test.serial(`when bet-maker has ${name}, then /readyz is 503 and names the refusal`, async (t) => {
    const { base } = await start(t, {}, env);
    const r = await becomes(
      base,
      `line_provider_access ${code}`,
      (x) => x.body.checks.line_provider_access === code,
    );
    t.is(r.status, 503);
    t.regex(r.body.detail ?? '', /LINE_PROVIDER_READ_TOKEN/);
  });
}

test.serial(
  'when bet-maker has the admin token instead of the reader token, then it works too',
  async (t) => {
    const { base } = await start(t, {}, { LINE_PROVIDER_READ_TOKEN: ADMIN });
    await becomes(base, '/readyz 200', (r) => r.status === 200);
    t.pass();
  },
);

/** Resolves once the watcher has failed and reconnected `n` times (so "not ready" is a result, not a start). */
const failedTimes = (base: string, n: number) =>
  eventually(
    `${n} reconnects`,
    async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const total = [...text.matchAll(/^betmaker_watch_reconnects_total\{[^}]*\} (\d+)/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      return total >= n ? total : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );

const withTls = hasOpenssl ? test.serial : test.serial.skip;

withTls(
  'when line-provider serves TLS, then bet-maker with the CA and token is ready; without the CA it is not',
  async (t) => {
    const certs = t.context.certs!;
    const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: undefined };
    const good = await start(
      t,
      { tls },
      {
        LINE_PROVIDER_READ_TOKEN: READER,
        LINE_PROVIDER_TLS_CA: certs.caCert,
        LINE_PROVIDER_TLS_SERVER_NAME: 'localhost',
      },
    );
    await becomes(good.base, 'TLS /readyz 200', (r) => r.status === 200);
    const plaintext = await start(t, { tls }, { LINE_PROVIDER_READ_TOKEN: READER });
    await failedTimes(plaintext.base, 2);
    const r = await readiness(plaintext.base);
    t.is(r.status, 503);
    t.not(r.body.checks.event_stream, 'live');
  },
);

withTls(
  'when line-provider requires client certificates, then only bet-maker with one is ready',
  async (t) => {
    const certs = t.context.certs!;
    const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.caCert };
    const common = {
      LINE_PROVIDER_READ_TOKEN: READER,
      LINE_PROVIDER_TLS_CA: certs.caCert,
      LINE_PROVIDER_TLS_SERVER_NAME: 'localhost',
    };
    const mutual = await start(
      t,
      { tls },
      {
        ...common,
        LINE_PROVIDER_TLS_CERT: certs.clientCert,
        LINE_PROVIDER_TLS_KEY: certs.clientKey,
      },
    );
    await becomes(mutual.base, 'mTLS /readyz 200', (r) => r.status === 200);
    const anonymous = await start(t, { tls }, common);
    await failedTimes(anonymous.base, 2);
    const r = await readiness(anonymous.base);
    t.is(r.status, 503);
    t.not(r.body.checks.event_stream, 'live');
  },
);
