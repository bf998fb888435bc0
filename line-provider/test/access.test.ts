import test from 'ava';
import type { Metadata } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

import { SERVICE_NAME } from '../src/app.js';
import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import type { LineProviderServiceClient } from '../src/gen/lineprovider/v1/line_provider.js';
import { bufCurl } from './buf-curl.js';
import { HealthClient } from './health-client.js';
import { buildCreate, metadataOf, rpc, startServer, StreamReader, watch } from './helpers.js';
import { capturingLogger } from './journal-helpers.js';

const ADMIN = 'admin-Secret.1';
const READER = 'reader-Secret.2';
const tokens = { adminToken: ADMIN, readToken: READER };
const bearer = (token: string): Metadata => metadataOf({ authorization: `Bearer ${token}` });

const callers = {
  'no token': undefined,
  'a malformed header': metadataOf({ authorization: `Basic ${ADMIN}` }),
  'a wrong token': bearer('guess'),
  'the reader token': bearer(READER),
  'the admin token': bearer(ADMIN),
} as const;
type Caller = keyof typeof callers;

type Call = (client: LineProviderServiceClient, metadata: Metadata | undefined) => Promise<unknown>;
const writes: Record<string, Call> = {
  CreateEvent: (client, metadata) => rpc.create(client, buildCreate(), metadata),
  UpdateEvent: (client, metadata) => rpc.update(client, { eventId: 'seeded', coefficient: '2.50' }, metadata),
  UpdateEventStatus: (client, metadata) =>
    rpc.finish(client, { eventId: 'seeded', status: EventStatus.EVENT_STATUS_FINISHED_WIN }, metadata),
};
const reads: Record<string, Call> = {
  GetEvent: (client, metadata) => rpc.get(client, 'seeded', metadata),
  ListEvents: (client, metadata) => rpc.list(client, {}, metadata),
};

const expectations: Record<'write' | 'read', Record<Caller, Status>> = {
  write: {
    'no token': Status.UNAUTHENTICATED,
    'a malformed header': Status.UNAUTHENTICATED,
    'a wrong token': Status.PERMISSION_DENIED,
    'the reader token': Status.PERMISSION_DENIED,
    'the admin token': Status.OK,
  },
  read: {
    'no token': Status.UNAUTHENTICATED,
    'a malformed header': Status.UNAUTHENTICATED,
    'a wrong token': Status.PERMISSION_DENIED,
    'the reader token': Status.OK,
    'the admin token': Status.OK,
  },
};

async function codeOf(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
    return Status.OK;
  } catch (error) {
    return (error as { code: Status }).code;
  }
}

for (const [kind, methods] of [
  ['write', writes],
  ['read', reads],
] as const) {
  for (const [method, call] of Object.entries(methods)) {
    for (const caller of Object.keys(callers) as Caller[]) {
      const expected = expectations[kind][caller];
      test(`when ${method} is called with ${caller}, then ${Status[expected]}`, async (t) => {
        const { client, app } = await startServer(t, tokens);
        await app.store.create(buildCreate({ eventId: 'seeded' }));

        t.is(await codeOf(call(client, callers[caller])), expected);
        t.is(
          app.store.revision,
          kind === 'write' && expected === Status.OK ? 2 : 1,
          'a refused write changes nothing',
        );
      });
    }
  }
}

for (const caller of Object.keys(callers) as Caller[]) {
  const expected = expectations.read[caller];
  test(`when WatchEvents is opened with ${caller}, then ${expected === Status.OK ? 'the snapshot comes' : Status[expected]}`, async (t) => {
    const { client, app } = await startServer(t, tokens);
    const reader = new StreamReader(watch(client, {}, callers[caller]));

    if (expected === Status.OK) {
      t.like((await reader.readSnapshot()).header, { instanceId: app.instanceId });
    } else {
      t.is((await reader.status).code, expected);
      t.is(app.watchers.metrics.opened, 0);
    }
  });
}

test('when no token is configured, then every method is open', async (t) => {
  const { client } = await startServer(t);

  const created = await rpc.create(client, buildCreate());

  t.is((await rpc.get(client, created.eventId)).eventId, created.eventId);
  await new StreamReader(watch(client)).readSnapshot();
});

test('when only the admin token is configured, then reads and watches stay open', async (t) => {
  const { client } = await startServer(t, { adminToken: ADMIN });
  const created = await rpc.create(client, buildCreate(), bearer(ADMIN));

  t.is((await rpc.get(client, created.eventId)).eventId, created.eventId);
  t.is((await new StreamReader(watch(client)).readSnapshot()).events.length, 1);
  await t.throwsAsync(rpc.create(client, buildCreate()), { code: Status.UNAUTHENTICATED });
});

test('when a call is refused, then it is counted and logged with method, peer and reason but never the token', async (t) => {
  const { logger, lines } = capturingLogger('info');
  const { client, app } = await startServer(t, tokens, { logger });

  await t.throwsAsync(rpc.create(client, buildCreate(), bearer('my-guessed-token')));
  await t.throwsAsync(rpc.create(client, buildCreate(), bearer(READER)));
  await t.throwsAsync(rpc.list(client, {}, metadataOf({ 'x-request-id': 'req-9' })));
  const metrics = await app.metrics.registry.getSingleMetricAsString('line_provider_auth_refusals_total');

  const refusals = lines.filter((line) => line['msg'] === 'call refused');
  t.deepEqual(
    refusals.map(({ rpc: method, reason, requestId }) => ({ method, reason, requestId })),
    [
      { method: 'CreateEvent', reason: 'wrong_token', requestId: undefined },
      { method: 'CreateEvent', reason: 'read_token_on_write', requestId: undefined },
      { method: 'ListEvents', reason: 'missing_token', requestId: 'req-9' },
    ],
  );
  t.true(refusals.every((line) => typeof line['peer'] === 'string' && line['level'] === 40));
  const everything = JSON.stringify(lines);
  t.false(everything.includes('my-guessed-token'));
  t.false(everything.includes(READER));
  t.regex(metrics, /line_provider_auth_refusals_total\{method="CreateEvent",reason="wrong_token"\} 1/);
  t.regex(metrics, /line_provider_auth_refusals_total\{method="ListEvents",reason="missing_token"\} 1/);
});

test('when tokens are configured, then health and reflection stay open', async (t) => {
  const { port } = await startServer(t, tokens);
  const health = new HealthClient(port);
  t.teardown(() => health.close());

  t.is(await health.check(SERVICE_NAME), 'SERVING');
  const listed = await bufCurl([
    'curl',
    '--protocol',
    'grpc',
    '--http2-prior-knowledge',
    '--list-services',
    `http://127.0.0.1:${port}`,
  ]);
  t.is(listed.code, 0);
  t.regex(listed.stdout, /lineprovider\.v1\.LineProviderService/);
});

test('when buf curl sends the admin token, then a write through reflection succeeds', async (t) => {
  const { port } = await startServer(t, tokens);
  const base = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge'];
  const body = JSON.stringify({ event_id: 'curl-1', coefficient: '1.5', deadline: '2030-01-01T00:00:00Z' });
  const url = `http://127.0.0.1:${port}/${SERVICE_NAME}/CreateEvent`;

  const refused = await bufCurl([...base, '-d', body, url]);
  const created = await bufCurl([...base, '-H', `authorization: Bearer ${ADMIN}`, '-d', body, url]);

  t.not(refused.code, 0);
  t.regex(refused.stderr, /unauthenticated/i);
  t.is(created.code, 0, created.stderr);
  t.like(JSON.parse(created.stdout), { event: { eventId: 'curl-1', coefficient: '1.50', revision: '1' } });
});
