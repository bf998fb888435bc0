import test from 'ava';
import { status as Status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

import { buildCreate, rpc, startServer, StreamReader, watch } from './helpers.js';
import { FaultyFs, linesOf, tempDataDir } from './journal-helpers.js';

test('when the fsync of a change fails, then the call is UNAVAILABLE, memory and watchers are untouched, and the next change takes its revision', async (t) => {
  const files = await tempDataDir(t);
  const fs = new FaultyFs();
  const { client, app } = await startServer(t, { dataDir: files.dir }, { journal: { fs } });
  const a = await rpc.create(client, buildCreate({ eventId: 'a' }));
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();

  fs.failNext('datasync');
  await t.throwsAsync(rpc.create(client, buildCreate({ eventId: 'b' })), {
    code: Status.UNAVAILABLE,
    message: /could not be stored and was not applied; retry/,
  });
  await t.throwsAsync(rpc.get(client, 'b'), { code: Status.NOT_FOUND });
  t.is(app.store.revision, 1);
  const c = await rpc.create(client, buildCreate({ eventId: 'c' }));

  t.is(c.revision, '2');
  t.deepEqual(await reader.nextChange(), c, 'the watcher never saw the refused change');
  t.is((await linesOf(files.journal)).length, 2, 'the refused line was truncated away');
  await app.stop();
  const restarted = await startServer(t, { dataDir: files.dir });
  t.deepEqual((await rpc.list(restarted.client)).events, [a, c]);
});

test('when an fsync fails under concurrent writes, then exactly the answered changes survive a restart, in contiguous revisions', async (t) => {
  const files = await tempDataDir(t);
  const fs = new FaultyFs();
  const { client, app } = await startServer(t, { dataDir: files.dir }, { journal: { fs } });
  await rpc.create(client, buildCreate({ eventId: 'first' }));

  // The second fsync fails: the first batch is answered, the second refused with whatever queued behind it.
  fs.failNext('datasync', /./, 1);
  const ids = Array.from({ length: 30 }, (_, i) => `ev-${i}`);
  const outcomes = await Promise.allSettled(
    ids.map((eventId) => rpc.create(client, buildCreate({ eventId }))),
  );
  const answered = ids.filter((_, i) => outcomes[i]?.status === 'fulfilled');
  const refused = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason as ServiceError] : [],
  );
  const inMemory = app.store.all().map((event) => event.eventId);
  await app.stop();
  const restarted = await startServer(t, { dataDir: files.dir });
  const replayed = restarted.app.store.all();

  t.true(refused.length > 0, 'the injected failure refused at least one change');
  t.true(answered.length > 0, 'the changes of the first fsync were answered');
  t.true(refused.every((error) => error.code === Status.UNAVAILABLE));
  t.deepEqual(inMemory.sort(), ['first', ...answered].sort());
  t.deepEqual(replayed.map((event) => event.eventId).sort(), inMemory);
  t.deepEqual(
    replayed.map((event) => event.revision).sort((x, y) => x - y),
    Array.from({ length: replayed.length }, (_, i) => i + 1),
  );
  t.log(`${answered.length} answered, ${refused.length} refused`);
});

test('when many changes arrive during an fsync, then they share the next fsync (group commit)', async (t) => {
  const files = await tempDataDir(t);
  const fs = new FaultyFs();
  const { app } = await startServer(t, { dataDir: files.dir }, { journal: { fs } });
  const before = fs.datasyncs;

  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      app.store.create({
        eventId: `g-${i}`,
        coefficient: '1.10',
        deadline: new Date(Date.now() + 3_600_000),
      }),
    ),
  );

  t.deepEqual(
    results.map((result) => result.event.revision),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  t.is((await linesOf(files.journal)).length, 50);
  t.true(fs.datasyncs - before <= 3, `50 changes took ${fs.datasyncs - before} fsyncs`);
});
