import { setImmediate as yieldToIo } from 'node:timers/promises';

import test from 'ava';
import { status as Status } from '@grpc/grpc-js';

import { nextClose, StreamReader, startServer, watch } from './helpers.js';

test('when a watcher stops reading, then it is ended with RESOURCE_EXHAUSTED and its queue never exceeds the limit', async (t) => {
  const queueLimit = 50;
  const { client, app } = await startServer(t, { watchQueueLimit: queueLimit });
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();
  t.is(app.store.subscriberCount, 1);

  // The client stops reading: grpc-js stops taking data off the HTTP/2 stream, the flow-control window fills,
  // the server's writes stop completing and its queue fills up.
  reader.stream.pause();
  let dropped = false;
  const closed = nextClose(app).then((event) => {
    dropped = true;
    return event;
  });
  let created = 0;
  while (!dropped && created < 100_000) {
    await app.store.create({
      eventId: `ev-${created}`,
      coefficient: '1.25',
      deadline: new Date(Date.now() + 3_600_000),
    });
    created += 1;
    // Let the sockets move after each change, as they would between real requests: a reading client keeps up.
    await yieldToIo();
  }

  t.deepEqual(await closed, { reason: 'overflow' });
  t.is(app.store.subscriberCount, 0);
  t.deepEqual(app.watchers.metrics, { active: 0, opened: 1, dropped: 1, maxQueueDepth: queueLimit });
  t.log(`dropped after ${created} changes`);

  // Once the client reads again it receives what was already written, then the status.
  reader.stream.resume();
  const status = await reader.status;
  t.is(status.code, Status.RESOURCE_EXHAUSTED);
  t.regex(status.details, /too slow/);
});

test('when a watcher keeps reading under the same load, then it is not dropped and gets every change', async (t) => {
  const queueLimit = 50;
  const { client, app } = await startServer(t, { watchQueueLimit: queueLimit });
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();

  const total = 3000;
  for (let i = 0; i < total; i += 1) {
    await app.store.create({
      eventId: `ev-${i}`,
      coefficient: '1.25',
      deadline: new Date(Date.now() + 3_600_000),
    });
    await yieldToIo();
  }
  const revisions: number[] = [];
  while (revisions.length < total) revisions.push(Number((await reader.nextChange()).revision));

  t.deepEqual(
    revisions,
    Array.from({ length: total }, (_, i) => i + 1),
  );
  t.is(app.watchers.metrics.dropped, 0);
  t.true(app.watchers.metrics.maxQueueDepth <= queueLimit);
  t.is(app.store.subscriberCount, 1);
});
