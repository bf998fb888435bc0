import test from 'ava';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { JournalCorruptError } from '../src/store/file-journal/replay.js';
import { buildCreate, rpc, startServer, StreamReader, watch } from './helpers.js';
import { linesOf, record, tempDataDir, writeLines } from './journal-helpers.js';

const { EVENT_STATUS_FINISHED_WIN: WIN, EVENT_STATUS_FINISHED_LOSE: LOSE } = EventStatus;

test('when the app restarts on its data directory, then every event, status and revision is back and changes continue at revision + 1', async (t) => {
  const { dir: dataDir } = await tempDataDir(t);
  const first = await startServer(t, { dataDir });
  await rpc.create(first.client, buildCreate({ eventId: 'a', coefficient: '1.5' }));
  await rpc.create(first.client, buildCreate({ eventId: 'b' }));
  await rpc.create(first.client, buildCreate({ eventId: 'c' }));
  await rpc.update(first.client, { eventId: 'a', coefficient: '2.25' });
  await rpc.finish(first.client, { eventId: 'b', status: WIN });
  await rpc.finish(first.client, { eventId: 'c', status: LOSE });
  const before = await rpc.list(first.client);
  await first.app.stop();

  const second = await startServer(t, { dataDir });
  const after = await rpc.list(second.client);
  const created = await rpc.create(second.client, buildCreate({ eventId: 'd' }));

  t.deepEqual(after, before);
  t.deepEqual(
    after.events.map((event) => [event.eventId, event.status, event.revision]),
    [
      ['a', EventStatus.EVENT_STATUS_NEW, '4'],
      ['b', WIN, '5'],
      ['c', LOSE, '6'],
    ],
  );
  t.is(created.revision, '7');
  t.not(second.app.instanceId, first.app.instanceId, 'a new process is a new instance');
});

test('when a watcher connects after a restart, then its snapshot carries the restored revision and a resume from the old instance gets a snapshot', async (t) => {
  const { dir: dataDir } = await tempDataDir(t);
  const first = await startServer(t, { dataDir });
  for (const eventId of ['a', 'b']) await rpc.create(first.client, buildCreate({ eventId }));
  const oldInstance = first.app.instanceId;
  await first.app.stop();

  const { client } = await startServer(t, { dataDir });
  const snapshot = await new StreamReader(
    watch(client, { resumeInstanceId: oldInstance, resumeRevision: '2' }),
  ).readSnapshot();

  t.like(snapshot.header, { resumed: false, snapshotRevision: '2', eventCount: '2' });
  t.deepEqual(
    snapshot.events.map((event) => event.eventId),
    ['a', 'b'],
  );
});

test('when nothing is configured, then nothing is written anywhere and a restart starts empty', async (t) => {
  const first = await startServer(t);
  await rpc.create(first.client, buildCreate());
  await first.app.stop();

  const second = await startServer(t);

  t.is(second.app.store.size, 0);
});

test('when each change is answered, then its line is already in the journal', async (t) => {
  const files = await tempDataDir(t);
  const { client } = await startServer(t, { dataDir: files.dir });

  await rpc.create(client, buildCreate({ eventId: 'x' }));
  const afterCreate = await linesOf(files.journal);
  await rpc.finish(client, { eventId: 'x', status: WIN });
  const afterFinish = await linesOf(files.journal);

  t.is(afterCreate.length, 1);
  t.is(afterFinish.length, 2);
  t.regex(afterFinish[1] ?? '', /^[0-9a-f]{16} \{"eventId":"x",.*"status":"FINISHED_WIN","revision":2\}$/);
});

test('when the journal has a damaged line in the middle, then start fails with a clear message', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), 'not a record', record(3)]);

  const error = await t.throwsAsync(startServer(t, { dataDir: files.dir }), {
    instanceOf: JournalCorruptError,
  });

  t.regex(error?.message ?? '', /events\.journal is damaged at line 2 of 3: not a valid record/);
});
