import { join } from 'node:path';

import type { JournalFile } from './fs.js';

/** The files of a data directory. A `.tmp` file is only ever a compaction step that did not finish. */
export interface DataFiles {
  readonly dir: string;
  readonly journal: string;
  readonly journalTmp: string;
  readonly snapshot: string;
  readonly snapshotTmp: string;
}

export function dataFiles(dir: string): DataFiles {
  return {
    dir,
    journal: join(dir, 'events.journal'),
    journalTmp: join(dir, 'events.journal.tmp'),
    snapshot: join(dir, 'events.snapshot'),
    snapshotTmp: join(dir, 'events.snapshot.tmp'),
  };
}

/** Writes all of `data` at `position` (a write may take less than it was given). */
export async function writeFully(file: JournalFile, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await file.write(data.subarray(written), position + written);
  }
}
