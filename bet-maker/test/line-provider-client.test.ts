/**
 * bet-maker as a client of a protected line-provider, against a minimal provider that checks the
 * metadata of each WatchEvents call: the reader token and a request id are sent, and a refusal is logged as
 * the configuration error it is and shown by /readyz while bet-maker keeps retrying. (TLS is exercised
 * against the real line-provider in test/security-tokens.test.ts.)
 */
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import { type Metadata, Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import {
  LineProviderServiceService,
  type WatchEventsRequest,
  type WatchEventsResponse,
} from '../src/gen/lineprovider/v1/line_provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testConfig } from './helpers/harness.js';
import { get } from './helpers/http.js';

const test = anyTest as TestFn<{ db: TestDatabase }>;

test.before(async (t) => {
  t.context.db = await createTestDatabase();
});
test.after.always(async (t) => {
  await t.context.db?.drop();
});

/** A line-provider that answers WatchEvents with an empty snapshot when `accept` says so. */
class GuardedProvider extends EventEmitter<{ call: [] }> {
  readonly calls: Metadata[] = [];
  accept: (md: Metadata) => status = () => status.OK;
  private readonly open = new Set<ServerWritableStream<WatchEventsRequest, WatchEventsResponse>>();

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {
    super();
  }

  static async start(): Promise<GuardedProvider> {
    const server = new Server();
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const provider = new GuardedProvider(server, `127.0.0.1:${port}`);
    server.addService(LineProviderServiceService, {
      watchEvents: (call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>) =>
        provider.watch(call),
    });
    return provider;
  }

  /** Resolves once `n` calls have arrived in total. */
  async calledTimes(n: number): Promise<void> {
    while (this.calls.length < n) await once(this, 'call');
  }

  async stop(): Promise<void> {
    for (const call of this.open) call.end();
    await new Promise<void>((res) => this.server.tryShutdown(() => res()));
  }

  private watch(call: ServerWritableStream<WatchEventsRequest, WatchEventsResponse>): void {
    this.calls.push(call.metadata);
    const code = this.accept(call.metadata);
    this.emit('call');
    if (code !== status.OK) {
      call.emit('error', { code, details: 'refused by the test provider', message: 'refused' });
      return;
    }
    this.open.add(call);
    call.on('cancelled', () => this.open.delete(call));
    const header = { instanceId: 'guarded', snapshotRevision: '0', eventCount: '0', resumed: false };
    call.write({ kind: { $case: 'header', value: header } });
    call.write({ kind: { $case: 'snapshotEnd', value: { snapshotRevision: '0' } } });
  }
}

/** A pino logger whose lines are kept, and an emitter that fires for each. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

async function startBetMaker(
  t: { teardown(fn: () => Promise<void>): void },
  db: string,
  overrides: Partial<Config>,
) {
  const provider = await GuardedProvider.start();
  const { logger, lines } = capturingLogger();
  const app = createApp(testConfig(db, provider.address, overrides), { logger });
  const run = await app.start();
  t.teardown(async () => {
    await app.stop();
    await provider.stop();
  });
  return { provider, run, lines, base: `http://127.0.0.1:${run.port}` };
}

const live = (run: { watcher: { state: string; once(e: 'state', f: () => void): unknown } }) =>
  new Promise<void>((resolve) => {
    const check = () => (run.watcher.state === 'live' ? resolve() : run.watcher.once('state', check));
    check();
  });

test('when a read token is configured, then every call carries it as a bearer token, with a request id', async (t) => {
  const { provider, run, base, lines } = await startBetMaker(t, t.context.db.url, {
    lineProviderReadToken: 's3cret-reader',
  });
  provider.accept = (md) =>
    md.get('authorization')[0] === 'Bearer s3cret-reader' ? status.OK : status.PERMISSION_DENIED;
  await live(run);
  const md = provider.calls[0];
  t.deepEqual(md?.get('authorization'), ['Bearer s3cret-reader']);
  t.regex(String(md?.get('x-request-id')[0]), /^[0-9a-f-]{36}$/);
  t.is((await get(base, '/readyz')).status, 200);
  t.true(
    lines.some((l) => l.level === 40 && String(l.msg).includes('plaintext')),
    'a token over plaintext is worth a warning',
  );
  t.false(JSON.stringify(lines).includes('s3cret-reader'), 'the token is never logged');
});

test('when no token is configured, then none is sent', async (t) => {
  const { provider, run } = await startBetMaker(t, t.context.db.url, {});
  await live(run);
  t.deepEqual(provider.calls[0]?.get('authorization'), []);
});

for (const [code, name] of [
  [status.UNAUTHENTICATED, 'unauthenticated'],
  [status.PERMISSION_DENIED, 'permission_denied'],
] as const) {
  test(`when line-provider answers ${name.toUpperCase()}, then it is logged as a config error, /readyz says why, and retries go on`, async (t) => {
    const { provider, run, base, lines } = await startBetMaker(t, t.context.db.url, {
      lineProviderReadToken: 'wrong-token',
    });
    provider.accept = () => code;
    await provider.calledTimes(3);
    const ready = await get<{ checks: Record<string, unknown>; detail: string }>(base, '/readyz');
    t.is(ready.status, 503);
    t.is(ready.body.checks.line_provider_access, name);
    t.regex(ready.body.detail, /LINE_PROVIDER_READ_TOKEN/);
    const refused = lines.filter((l) => String(l.msg).includes("refused bet-maker's credentials"));
    t.is(refused[0]?.level, 50, 'the first refusal is an error');
    t.true(
      refused.slice(1).every((l) => l.level === 40),
      'repeats are warnings',
    );
    t.false(JSON.stringify(lines).includes('wrong-token'), 'the token is never logged');

    provider.accept = () => status.OK;
    await live(run);
    const after = await get<{ checks: Record<string, unknown> }>(base, '/readyz');
    t.is(after.status, 200);
    t.is(after.body.checks.line_provider_access, 'ok');
  });
}

test('when the TLS files named in the config are missing, then start fails naming the variable', async (t) => {
  const app = createApp(
    testConfig(t.context.db.url, '127.0.0.1:1', { lineProviderTls: { caFile: '/nonexistent/ca.pem' } }),
    { logger: pino({ level: 'silent' }) },
  );
  await t.throwsAsync(app.start(), { message: /LINE_PROVIDER_TLS_CA: cannot read \/nonexistent\/ca.pem/ });
  await app.stop();
});
