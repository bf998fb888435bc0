import { access } from 'node:fs/promises';

import test from 'ava';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, rpc, startServer } from './helpers.js';
import { FaultyFs, linesOf, tempDataDir } from './journal-helpers.js';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

// Compact once the journal has more than 2 x events + 10 lines.
const journal = { compactRatio: 2, compactMinLines: 10 };

test('when the journal grows well beyond the events, then it is compacted and a restart restores the same state', async (t) => {
  const files = await tempDataDir(t);
  const first = await startServer(t, { dataDir: files.dir }, { journal });
  for (const eventId of ['a', 'b', 'c']) await rpc.create(first.client, buildCreate({ eventId }));
  for (let i = 1; i <= 30; i += 1) await rpc.update(first.client, { eventId: 'a', coefficient: `${i}.00` });
  await rpc.finish(first.client, { eventId: 'b', status: EventStatus.EVENT_STATUS_FINISHED_WIN });
  const before = await rpc.list(first.client);
  // stop() waits for the journal, whose compaction runs after the answer that triggered it.
  await first.app.stop();
  const journalLines = (await linesOf(files.journal)).length;
  const snapshotLines = await linesOf(files.snapshot);

  const second = await startServer(t, { dataDir: files.dir }, { journal });
  const after = await rpc.list(second.client);
  const next = await rpc.create(second.client, buildCreate({ eventId: 'd' }));

  t.true(journalLines < 34, `the journal was started afresh (${journalLines} lines for 34 changes)`);
  t.is(snapshotLines.length, 4, 'a header and 3 events');
  t.false(await exists(files.snapshotTmp));
  t.false(await exists(files.journalTmp));
  t.deepEqual(after, before);
  t.is(next.revision, '35');
});

test('when a compaction fails after its snapshot is in place, then the old journal is kept and a restart is still correct', async (t) => {
  const files = await tempDataDir(t);
  const fs = new FaultyFs();
  const first = await startServer(t, { dataDir: files.dir }, { journal: { ...journal, fs } });
  await rpc.create(first.client, buildCreate({ eventId: 'a' }));
  // Step 3, renaming the new empty journal into place, fails: the snapshot is committed, the journal unchanged.
  fs.failNext('rename', /events\.journal\.tmp$/);
  for (let i = 1; i <= 12; i += 1) await rpc.update(first.client, { eventId: 'a', coefficient: `${i}.00` });
  const before = await rpc.list(first.client);
  // stop() waits for the journal, whose compaction runs after the answer that triggered it.
  await first.app.stop();
  const journalLines = (await linesOf(files.journal)).length;
  const snapshotLines = await linesOf(files.snapshot);

  const second = await startServer(t, { dataDir: files.dir });
  const after = await rpc.list(second.client);

  t.deepEqual(fs.tripped, [`rename ${files.journalTmp}`]);
  t.is(snapshotLines.length, 2, 'the snapshot (one event) was committed');
  t.is(journalLines, 13, 'every change stayed in the old journal');
  t.false(await exists(files.journalTmp));
  t.deepEqual(after, before);
  t.is(second.app.store.revision, 13);
});
