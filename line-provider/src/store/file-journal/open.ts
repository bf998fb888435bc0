import type { Logger } from 'pino';

import type { EventRecord } from '../../domain/event.js';
import type { FileJournalOptions } from './file-journal.js';
import { FileJournal } from './file-journal.js';
import { dataFiles } from './files.js';
import type { JournalFile } from './fs.js';
import { nodeFs } from './fs.js';
import type { JournalReplay } from './replay.js';
import { emptyState, parseJournal, parseSnapshot } from './replay.js';

/** A journal ready for appends, and the state it replayed, for `EventStore.restore`. */
export interface OpenedJournal {
  readonly journal: FileJournal;
  readonly records: readonly EventRecord[];
  readonly revision: number;
}

/**
 * Opens the data directory (created if missing) and replays it, following the recovery rules in file-journal.ts:
 * leftover `.tmp` files are removed, the snapshot is loaded, the journal replayed on top, and a torn last line is
 * truncated away with a warning. Rejects with a `JournalCorruptError` naming the file and line when a file is
 * damaged in any other way.
 */
export async function openFileJournal(
  dir: string,
  logger: Logger,
  options: FileJournalOptions = {},
): Promise<OpenedJournal> {
  const fs = options.fs ?? nodeFs;
  const files = dataFiles(dir);
  await fs.mkdir(dir);
  for (const leftover of [files.snapshotTmp, files.journalTmp]) {
    if (await fs.remove(leftover)) {
      logger.warn(
        { file: leftover },
        'journal: removed a file left by a compaction that a crash interrupted',
      );
    }
  }
  const snapshot = await fs.readFile(files.snapshot);
  const base = snapshot === undefined ? emptyState() : parseSnapshot(snapshot, files.snapshot);
  const data = await fs.readFile(files.journal);
  let file: JournalFile;
  let replay: JournalReplay;
  if (data === undefined) {
    replay = { ...base, lines: 0, validBytes: 0 };
    file = await fs.open(files.journal, 'w+');
    await file.datasync();
    await fs.syncDir(dir);
  } else {
    replay = parseJournal(data, files.journal, base);
    file = await fs.open(files.journal, 'r+');
    if (replay.torn !== undefined) {
      logger.warn(
        { file: files.journal, ...replay.torn },
        'journal: dropped a torn last line (an append cut short by a crash, never acknowledged)',
      );
      await file.truncate(replay.validBytes);
      await file.datasync();
    }
  }
  const journal = new FileJournal(
    file,
    files,
    { records: replay.records, revision: replay.revision, size: replay.validBytes, lines: replay.lines },
    logger,
    options,
  );
  return { journal, records: [...replay.records.values()], revision: replay.revision };
}
