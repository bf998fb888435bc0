import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

import test from 'ava';

import { BUF, bufCurl, curlArgs, JsonDocuments } from './buf-curl.js';
import { buildCreate, rpc, startServer } from './helpers.js';

const METHOD = 'lineprovider.v1.LineProviderService';

test('when listing services through reflection, then LineProviderService and Health are there', async (t) => {
  const { port } = await startServer(t);

  const { code, stdout } = await bufCurl([
    'curl',
    '--protocol',
    'grpc',
    '--http2-prior-knowledge',
    '--list-services',
    `http://127.0.0.1:${port}`,
  ]);

  t.is(code, 0);
  t.deepEqual(stdout.trim().split('\n').sort(), ['grpc.health.v1.Health', METHOD]);
});

test('when listing methods through reflection, then every RPC is there', async (t) => {
  const { port } = await startServer(t);

  const { stdout } = await bufCurl([
    'curl',
    '--protocol',
    'grpc',
    '--list-methods',
    `http://127.0.0.1:${port}`,
  ]);

  for (const rpcName of [
    'CreateEvent',
    'GetEvent',
    'ListEvents',
    'UpdateEvent',
    'UpdateEventStatus',
    'WatchEvents',
  ]) {
    t.true(stdout.includes(`${METHOD}/${rpcName}`), rpcName);
  }
});

test('when calling unary methods through reflection, then they work and errors carry the gRPC code', async (t) => {
  const { port } = await startServer(t);
  const create = JSON.stringify({ event_id: 'r1', coefficient: '1.5', deadline: '2030-01-01T00:00:00Z' });

  const created = await bufCurl(curlArgs(port, `/${METHOD}/CreateEvent`, ['-d', create]));
  const got = await bufCurl(curlArgs(port, `/${METHOD}/GetEvent`, ['-d', '{"event_id":"r1"}']));
  const finished = await bufCurl(
    curlArgs(port, `/${METHOD}/UpdateEventStatus`, [
      '-d',
      '{"event_id":"r1","status":"EVENT_STATUS_FINISHED_WIN"}',
    ]),
  );
  const invalid = await bufCurl(curlArgs(port, `/${METHOD}/CreateEvent`, ['-d', '{"coefficient":"0"}']));
  const health = await bufCurl(curlArgs(port, '/grpc.health.v1.Health/Check'));

  const event = {
    eventId: 'r1',
    coefficient: '1.50',
    deadline: '2030-01-01T00:00:00Z',
    status: 'EVENT_STATUS_NEW',
  };
  t.deepEqual(JSON.parse(created.stdout), { event: { ...event, revision: '1' } });
  t.deepEqual(JSON.parse(got.stdout), { event: { ...event, revision: '1' } });
  t.deepEqual(JSON.parse(finished.stdout), {
    event: { ...event, status: 'EVENT_STATUS_FINISHED_WIN', revision: '2' },
  });
  // buf curl exits with the gRPC code shifted left by three: INVALID_ARGUMENT (3) is 24.
  t.is(invalid.code, 3 << 3);
  t.like(JSON.parse(invalid.stderr), {
    code: 'invalid_argument',
    message: 'coefficient: must be greater than 0; got "0"',
  });
  t.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
});

test('when a client only speaks reflection v1alpha, then listing and calling work too', async (t) => {
  const { client, port } = await startServer(t);
  await rpc.create(client, buildCreate({ eventId: 'alpha', coefficient: '1.01' }));
  const alpha = ['--reflect-protocol', 'grpc-v1alpha'];

  const services = await bufCurl([
    'curl',
    '--protocol',
    'grpc',
    ...alpha,
    '--list-services',
    `http://127.0.0.1:${port}`,
  ]);
  const got = await bufCurl(curlArgs(port, `/${METHOD}/GetEvent`, [...alpha, '-d', '{"event_id":"alpha"}']));

  t.true(services.stdout.includes(METHOD));
  t.like(JSON.parse(got.stdout), { event: { eventId: 'alpha', coefficient: '1.01' } });
});

test('when watching through reflection, then the snapshot and live changes arrive, and stop ends the stream', async (t) => {
  const { client, port, app } = await startServer(t, { heartbeatMs: 60_000 });
  const existing = await rpc.create(client, buildCreate({ eventId: 'w1' }));
  const output = new JsonDocuments();
  // Its own process group, so that a failed test can end buf and its wrapper together.
  const child: ChildProcess = spawn(BUF, curlArgs(port, `/${METHOD}/WatchEvents`, ['--timeout', '30s']), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  });
  const exited = once(child, 'exit');
  let notify: (() => void) | undefined;
  // One listener for the whole run: a stream without a 'data' listener keeps flowing and drops what it reads.
  child.stdout?.on('data', (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    notify?.();
  });
  const waitFor = async (predicate: (doc: unknown) => boolean): Promise<void> => {
    while (!output.documents.some(predicate)) await new Promise<void>((resolve) => (notify = resolve));
  };
  const has = (key: string) => (doc: unknown) => typeof doc === 'object' && doc !== null && key in doc;

  await waitFor(has('snapshotEnd'));
  const created = await rpc.create(client, buildCreate({ eventId: 'w2', coefficient: '2.25' }));
  await waitFor(has('change'));
  await app.stop();
  const [exitCode] = (await exited) as [number];

  t.like(output.documents[0], {
    header: { instanceId: app.instanceId, snapshotRevision: '1', eventCount: '1' },
  });
  t.like(output.documents[1], {
    snapshotChunk: { events: [{ eventId: existing.eventId, coefficient: '1.50' }] },
  });
  t.deepEqual(output.documents[2], { snapshotEnd: { snapshotRevision: '1' } });
  t.like(output.documents[3], {
    change: { event: { eventId: created.eventId, coefficient: '2.25', revision: '2' } },
  });
  // UNAVAILABLE (14) << 3: the stream was ended by the shutdown, as a client should see it.
  t.is(exitCode, 14 << 3);
});
