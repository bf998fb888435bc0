import { once } from 'node:events';

import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import { SERVICE_NAME } from '../src/app.js';
import { HealthClient, statusOf } from './health-client.js';
import { buildCreate, rpc, startServer, StreamReader, watch } from './helpers.js';

test('when the server runs, then health Check is SERVING overall and for the service', async (t) => {
  const { port } = await startServer(t);
  const health = new HealthClient(port);
  t.teardown(() => health.close());

  t.is(await health.check(''), 'SERVING');
  t.is(await health.check(SERVICE_NAME), 'SERVING');
  await t.throwsAsync(health.check('no.such.Service'), { code: Status.NOT_FOUND });
});

test('when stop begins, then health reports NOT_SERVING to a watching client', async (t) => {
  const { port, app } = await startServer(t);
  const health = new HealthClient(port);
  t.teardown(() => health.close());
  const stream = health.watch(SERVICE_NAME);
  stream.on('error', () => undefined);
  const [first] = (await once(stream, 'data')) as [unknown];

  const stopped = app.stop();
  const [second] = (await once(stream, 'data')) as [unknown];
  // A health watch is an open stream too; the client lets go of it, as a load balancer would.
  stream.cancel();
  await stopped;

  t.is(statusOf(first), 'SERVING');
  t.is(statusOf(second), 'NOT_SERVING');
});

test('when stopping with open watch streams, then each ends with UNAVAILABLE and stop completes quickly', async (t) => {
  // A long grace period: if the streams were not ended first, stop would wait all of it and the bound below fails.
  const { client, app } = await startServer(t, { shutdownGraceMs: 4000 });
  await rpc.create(client, buildCreate());
  const readers = [1, 2, 3].map(() => new StreamReader(watch(client)));
  await Promise.all(readers.map((reader) => reader.readSnapshot()));
  t.is(app.watchers.metrics.active, 3);

  const started = performance.now();
  await app.stop();
  const elapsed = performance.now() - started;
  const statuses = await Promise.all(readers.map((reader) => reader.status));

  t.log(`stop() took ${elapsed.toFixed(1)} ms`);
  t.true(elapsed < 4000, 'stopped before the grace period ran out');
  t.deepEqual(
    statuses.map((status) => status.code),
    [Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE],
  );
  t.is(app.store.subscriberCount, 0);
  t.is(app.watchers.metrics.active, 0);
});

test('when stop is called twice, then both calls resolve', async (t) => {
  const { app } = await startServer(t);

  await Promise.all([app.stop(), app.stop()]);

  t.pass();
});
