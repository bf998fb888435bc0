import { access, appendFile, readFile, writeFile } from 'node:fs/promises';

import test from 'ava';

import { openFileJournal } from '../src/store/file-journal/open.js';
import { JournalCorruptError } from '../src/store/file-journal/replay.js';
import {
  capturingLogger,
  linesOf,
  record,
  tempDataDir,
  writeLines,
  writeSnapshotFile,
} from './journal-helpers.js';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

test('when the data directory is new, then it is created with an empty journal', async (t) => {
  const files = await tempDataDir(t);

  const opened = await openFileJournal(`${files.dir}/nested`, capturingLogger().logger);
  await opened.journal.close();

  t.deepEqual(opened.records, []);
  t.is(opened.revision, 0);
  t.deepEqual(await linesOf(`${files.dir}/nested/events.journal`), []);
});

test('when the journal holds changes, then each event comes back at its newest record with the global revision', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [
    record(1, { eventId: 'a' }),
    record(2, { eventId: 'b' }),
    record(3, { eventId: 'a', coefficient: '2.00' }),
    record(4, { eventId: 'b', status: 'FINISHED_WIN' }),
  ]);

  const opened = await openFileJournal(files.dir, capturingLogger().logger);
  await opened.journal.close();

  t.is(opened.revision, 4);
  t.deepEqual(
    [...opened.records].sort((x, y) => x.revision - y.revision),
    [record(3, { eventId: 'a', coefficient: '2.00' }), record(4, { eventId: 'b', status: 'FINISHED_WIN' })],
  );
});

for (const [label, tail] of [
  ['half a line', (line: string) => line.slice(0, Math.floor(line.length / 2))],
  ['a line of zeros (blocks that never reached the disk)', () => '\0'.repeat(40) + '\n'],
  ['a complete line with a wrong checksum', (line: string) => line.replace('"e4"', '"e5"')],
] as const) {
  test(`when the last line is ${label}, then it is truncated with a warning and appends continue after it`, async (t) => {
    const files = await tempDataDir(t);
    await writeLines(files.journal, [record(1), record(2), record(3), record(4)]);
    const good = (await readFile(files.journal, 'utf8')).split('\n').slice(0, 3).join('\n') + '\n';
    const fourth = (await linesOf(files.journal))[3] ?? '';
    await writeFile(files.journal, good + tail(`${fourth}\n`));
    const { logger, lines } = capturingLogger();

    const opened = await openFileJournal(files.dir, logger);
    t.is(opened.revision, 3);
    t.is(await readFile(files.journal, 'utf8'), good);
    const warning = lines.find((line) => line['level'] === 40);
    t.regex(String(warning?.['msg']), /torn last line/);
    t.is(warning?.['line'], 4);
    await opened.journal.append(record(4, { eventId: 'after' }));
    await opened.journal.close();

    const reopened = await openFileJournal(files.dir, logger);
    await reopened.journal.close();
    t.is(reopened.revision, 4);
    t.true(reopened.records.some((r) => r.eventId === 'after'));
  });
}

test('when a line in the middle is damaged, then opening fails naming the file and the line', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), record(2), record(3)]);
  const text = await readFile(files.journal, 'utf8');
  await writeFile(files.journal, text.replace('"e2"', '"x2"'));

  const error = await t.throwsAsync(openFileJournal(files.dir, capturingLogger().logger), {
    instanceOf: JournalCorruptError,
  });

  t.regex(error?.message ?? '', /events\.journal is damaged at line 2 of 3: checksum mismatch/);
  t.regex(error?.message ?? '', /restore the data directory from a backup/);
});

test('when revisions skip one, then opening fails: changes are missing', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), record(2), record(4)]);

  await t.throwsAsync(openFileJournal(files.dir, capturingLogger().logger), {
    instanceOf: JournalCorruptError,
    message: /line 3 of 3: revision 4 follows 2/,
  });
});

test('when the journal does not start at revision 1 and there is no snapshot, then opening fails', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(5), record(6)]);

  await t.throwsAsync(openFileJournal(files.dir, capturingLogger().logger), {
    message: /revision 5 where 1 was expected/,
  });
});

test('when a snapshot and a journal after it exist, then the journal is replayed on top of the snapshot', async (t) => {
  const files = await tempDataDir(t);
  await writeSnapshotFile(files.snapshot, 10, [record(7, { eventId: 'a' }), record(10, { eventId: 'b' })]);
  await writeLines(files.journal, [record(11, { eventId: 'a', status: 'FINISHED_LOSE' }), record(12)]);

  const opened = await openFileJournal(files.dir, capturingLogger().logger);
  await opened.journal.close();

  t.is(opened.revision, 12);
  t.deepEqual(opened.records.map((r) => [r.eventId, r.status, r.revision]).sort(), [
    ['a', 'FINISHED_LOSE', 11],
    ['b', 'NEW', 10],
    ['e12', 'NEW', 12],
  ]);
});

test('when a compaction was cut before its snapshot was renamed, then the temporary file is removed and the journal replayed', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), record(2)]);
  await writeFile(files.snapshotTmp, 'half a snapsh');

  const opened = await openFileJournal(files.dir, capturingLogger().logger);
  await opened.journal.close();

  t.is(opened.revision, 2);
  t.false(await exists(files.snapshotTmp));
});

test('when a compaction was cut after its snapshot was renamed, then the old journal lines are skipped and appends continue', async (t) => {
  // The snapshot covers the old journal entirely (revision 3); the new empty journal was not renamed into place.
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), record(2, { eventId: 'e1', coefficient: '3.00' }), record(3)]);
  await writeSnapshotFile(files.snapshot, 3, [record(2, { eventId: 'e1', coefficient: '3.00' }), record(3)]);
  await writeFile(files.journalTmp, '');

  const opened = await openFileJournal(files.dir, capturingLogger().logger);
  t.is(opened.revision, 3);
  t.is(opened.records.length, 2);
  t.false(await exists(files.journalTmp));
  await opened.journal.append(record(4));
  await opened.journal.close();

  const reopened = await openFileJournal(files.dir, capturingLogger().logger);
  await reopened.journal.close();
  t.is(reopened.revision, 4);
  t.deepEqual(reopened.records.map((r) => r.revision).sort(), [2, 3, 4]);
});

test('when the snapshot is damaged, then opening fails naming it', async (t) => {
  const files = await tempDataDir(t);
  await writeSnapshotFile(files.snapshot, 2, [record(1), record(2)]);
  await appendFile(files.snapshot, 'garbage');

  await t.throwsAsync(openFileJournal(files.dir, capturingLogger().logger), {
    instanceOf: JournalCorruptError,
    message: /snapshot .*events\.snapshot is damaged at line 4/,
  });
});

test('when the snapshot has fewer events than its header says, then opening fails', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.snapshot, [{ snapshot: 1, revision: 2, events: 2 }, record(2)]);

  await t.throwsAsync(openFileJournal(files.dir, capturingLogger().logger), {
    message: /1 events where the header announces 2/,
  });
});
