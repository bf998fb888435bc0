import type { EventRecord } from '../../domain/event.js';
import { encodeLine } from './codec.js';
import type { DataFiles } from './files.js';
import { writeFully } from './files.js';
import type { JournalFile, JournalFs } from './fs.js';

/** Which step of a compaction failed; until the new journal is renamed into place, the old one stays in use. */
export class CompactionError extends Error {
  override readonly name = 'CompactionError';
  constructor(
    readonly step: 'snapshot' | 'new journal',
    cause: unknown,
  ) {
    super(`compaction failed at the ${step} step`, { cause });
  }
}

/** The new, empty journal file, and whether its directory entry is durable yet (see FileJournal). */
export interface Compacted {
  readonly file: JournalFile;
  readonly dirSynced: boolean;
}

/**
 * Steps 1 to 3 of the recovery rules in file-journal.ts: a snapshot of `records` at `revision`, then an empty
 * journal renamed over the old one. Rejects with a {@link CompactionError} when a step before that rename fails;
 * the old journal file is then still the journal, and correct. Resolves with the new file once the rename is done:
 * from then on only the new file may be written.
 */
export async function compact(
  fs: JournalFs,
  files: DataFiles,
  records: readonly EventRecord[],
  revision: number,
): Promise<Compacted> {
  try {
    await writeSnapshot(fs, files, records, revision);
  } catch (error) {
    throw new CompactionError('snapshot', error);
  }
  // The snapshot now covers every line of the journal: replacing it with an empty one loses nothing, and a crash
  // before the replacement is durable leaves old lines that replay skips.
  let fresh: JournalFile | undefined;
  try {
    fresh = await fs.open(files.journalTmp, 'w+');
    await fresh.datasync();
    await fs.rename(files.journalTmp, files.journal);
  } catch (error) {
    await fresh?.close().catch(() => undefined);
    await fs.remove(files.journalTmp).catch(() => undefined);
    throw new CompactionError('new journal', error);
  }
  const dirSynced = await fs.syncDir(files.dir).then(
    () => true,
    () => false,
  );
  return { file: fresh, dirSynced };
}

const LINES_PER_WRITE = 1000;

/**
 * Writes every record at `revision` to the snapshot: into the temporary file, fsync, rename over the snapshot,
 * fsync the directory. Once this resolved the snapshot is durable; if it rejects, the previous snapshot (if any) is
 * still in place, and the temporary file is removed when possible (start-up removes it otherwise).
 */
export async function writeSnapshot(
  fs: JournalFs,
  files: DataFiles,
  records: readonly EventRecord[],
  revision: number,
): Promise<void> {
  const file = await fs.open(files.snapshotTmp, 'w+');
  try {
    let position = 0;
    const append = async (text: string): Promise<void> => {
      const data = Buffer.from(text, 'utf8');
      await writeFully(file, data, position);
      position += data.length;
    };
    await append(encodeLine({ snapshot: 1, revision, events: records.length }));
    // In chunks, so that a large snapshot is never one huge string.
    for (let i = 0; i < records.length; i += LINES_PER_WRITE) {
      await append(
        records
          .slice(i, i + LINES_PER_WRITE)
          .map(encodeLine)
          .join(''),
      );
    }
    await file.datasync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await fs.remove(files.snapshotTmp).catch(() => undefined);
    throw error;
  }
  await file.close();
  await fs.rename(files.snapshotTmp, files.snapshot);
  await fs.syncDir(files.dir);
}
