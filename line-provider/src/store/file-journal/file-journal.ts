import type { Logger } from 'pino';

import type { EventRecord } from '../../domain/event.js';
import type { Journal } from '../journal.js';
import { StorageUnavailableError } from '../storage-error.js';
import { encodeLine } from './codec.js';
import type { Compacted } from './compaction.js';
import { compact } from './compaction.js';
import type { DataFiles } from './files.js';
import { writeFully } from './files.js';
import type { JournalFile, JournalFs } from './fs.js';
import { nodeFs } from './fs.js';
import type { FileJournalOptions, JournalObserver, JournalPosition } from './types.js';

export type { FileJournalOptions, JournalObserver, JournalPosition } from './types.js';

/*
 * The data directory (LINE_PROVIDER_DATA_DIR) holds `events.journal`, one line per change in revision order, and
 * `events.snapshot`, every event at some revision R (absent until the first compaction). Each line carries a
 * checksum (codec.ts). Rules that keep it recoverable after a crash at any point:
 *
 * - Appends: lines are written at the end of the last durable line, then fdatasync'ed; only then is any of them
 *   acknowledged. A crash mid-append leaves at most a torn last line, which start-up truncates with a warning.
 *   After a failed write or fsync the file is truncated back to its last durable line at once (and again before
 *   anything else is written, if that failed too), so a refused line does not reappear at a restart. Only a crash
 *   in between could still keep it: a client told UNAVAILABLE must treat the outcome as unknown and retry, which
 *   every write RPC allows (they are idempotent).
 * - Compaction, when the journal has many more lines than there are events: while appends wait,
 *   1. write every event at the current revision R to `events.snapshot.tmp`, fsync it;
 *   2. rename it over `events.snapshot`, fsync the directory (the commit point);
 *   3. create an empty `events.journal.tmp`, fsync it, rename it over `events.journal`, fsync the directory.
 *   A crash before 2 leaves a `.tmp` file that start-up deletes: the old snapshot and the full journal remain.
 *   A crash between 2 and 3 leaves the new snapshot and the old journal, whose lines are all at or below R: replay
 *   skips them. A failure at 1 or 2 keeps the old journal and retries later; after 3's rename the new journal is
 *   used, and nothing is acknowledged until its directory entry is durable.
 */

interface Waiting {
  readonly record: EventRecord;
  readonly line: string;
  resolve(): void;
  reject(error: unknown): void;
}

const byId = (a: EventRecord, b: EventRecord): number =>
  a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;

const NO_OBSERVER: JournalObserver = {
  batchWritten: () => undefined,
  writeFailed: () => undefined,
  compacted: () => undefined,
};

/**
 * An append-only journal file with group commit: the changes that arrive while an fsync is in flight are written
 * and fsynced together by the next one, so 50 concurrent writers cost a few fsyncs, not 50. Open it with
 * `openFileJournal` (open.ts), which replays the directory first.
 */
export class FileJournal implements Journal {
  private readonly fs: JournalFs;
  private readonly observer: JournalObserver;
  private readonly compactRatio: number;
  private readonly compactMinLines: number;
  /** The newest durable record of every event: what a snapshot holds. The journal does not wait for the store. */
  private readonly latest: Map<string, EventRecord>;
  private revision: number;
  private size: number;
  private lines: number;
  private acceptedRevision: number;
  private queue: Waiting[] = [];
  private running = false;
  private flushing: Promise<void> = Promise.resolve();
  private repairNeeded = false;
  private dirSyncNeeded = false;
  private closed = false;
  private compactNotBefore = 0;

  constructor(
    private file: JournalFile,
    private readonly files: DataFiles,
    position: JournalPosition,
    private readonly logger: Logger,
    options: FileJournalOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.observer = options.observer ?? NO_OBSERVER;
    this.compactRatio = options.compactRatio ?? 2;
    this.compactMinLines = options.compactMinLines ?? 1000;
    this.latest = new Map(position.records);
    this.revision = position.revision;
    this.acceptedRevision = position.revision;
    this.size = position.size;
    this.lines = position.lines;
  }

  append(record: EventRecord): Promise<void> {
    if (this.closed) return Promise.reject(new StorageUnavailableError('the journal is closed'));
    if (record.revision !== this.acceptedRevision + 1) {
      // Decided on top of a change that just failed (see Journal): refused like it.
      return Promise.reject(
        new StorageUnavailableError(`revision ${record.revision} does not follow ${this.acceptedRevision}`),
      );
    }
    this.acceptedRevision = record.revision;
    return new Promise((resolve, reject) => {
      this.queue.push({ record, line: encodeLine(record), resolve, reject });
      if (!this.running) {
        this.running = true;
        this.flushing = this.flush();
      }
    });
  }

  /** Refuses new appends, waits for those in flight, closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.repair().catch(() => undefined);
    await this.file.close();
  }

  /** Never rejects: each batch's outcome goes to its appends. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.write(batch);
        } catch (error) {
          this.fail(batch, error);
          // At once, not at the next write: a refused line left in the file would come back at a restart.
          await this.repair().catch((repairError: unknown) => {
            this.logger.error(
              { err: repairError },
              'journal truncation after a failed write failed; retried later',
            );
          });
          continue;
        }
        for (const waiting of batch) this.latest.set(waiting.record.eventId, waiting.record);
        this.revision = batch.at(-1)?.record.revision ?? this.revision;
        for (const waiting of batch) waiting.resolve();
        if (this.compactionDue()) await this.compact();
      }
    } finally {
      // In the same synchronous step as the empty check above: an append arriving now starts a new flush.
      this.running = false;
    }
  }

  /** Truncates the file back to its last durable line, if a failed write may have left more. */
  private async repair(): Promise<void> {
    if (!this.repairNeeded) return;
    await this.file.truncate(this.size);
    await this.file.datasync();
    this.repairNeeded = false;
  }

  private async write(batch: readonly Waiting[]): Promise<void> {
    await this.repair();
    if (this.dirSyncNeeded) {
      await this.fs.syncDir(this.files.dir);
      this.dirSyncNeeded = false;
    }
    const data = Buffer.from(batch.map((waiting) => waiting.line).join(''), 'utf8');
    await writeFully(this.file, data, this.size);
    const started = performance.now();
    await this.file.datasync();
    this.observer.batchWritten(batch.length, (performance.now() - started) / 1000);
    this.size += data.length;
    this.lines += batch.length;
  }

  /** The batch and every append queued behind it are refused; the file is truncated back before the next write. */
  private fail(batch: readonly Waiting[], error: unknown): void {
    const refused = [...batch, ...this.queue];
    this.queue = [];
    this.repairNeeded = true;
    this.acceptedRevision = this.revision;
    this.observer.writeFailed();
    this.logger.error(
      { err: error, refused: refused.length, revision: this.revision },
      'journal write failed: the changes are refused and the file is truncated back to its last durable line',
    );
    const failure = new StorageUnavailableError('the journal could not be written', { cause: error });
    for (const waiting of refused) waiting.reject(failure);
  }

  private compactionDue(): boolean {
    return (
      this.lines >= this.compactNotBefore &&
      this.lines > this.compactRatio * this.latest.size + this.compactMinLines
    );
  }

  /** Steps 1 to 3 of the rules above. Never rejects: a failure keeps the current journal and retries later. */
  private async compact(): Promise<void> {
    const started = performance.now();
    // Ordered by id, as the store keeps them: loading sorted input into the store is linear.
    const records = [...this.latest.values()].sort(byId);
    let compacted: Compacted;
    try {
      compacted = await compact(this.fs, this.files, records, this.revision);
    } catch (error) {
      this.compactNotBefore = this.lines + this.compactMinLines;
      this.observer.compacted('failed', (performance.now() - started) / 1000);
      this.logger.error(
        { err: error },
        'journal compaction failed; the journal is kept and compaction retried later',
      );
      return;
    }
    const replaced = this.file;
    const lines = this.lines;
    this.file = compacted.file;
    this.size = 0;
    this.lines = 0;
    // Nothing is acknowledged from the new file until its directory entry is durable.
    this.dirSyncNeeded = !compacted.dirSynced;
    await replaced.close().catch(() => undefined);
    const seconds = (performance.now() - started) / 1000;
    this.observer.compacted('ok', seconds);
    this.logger.info(
      { events: records.length, revision: this.revision, lines, ms: Math.round(seconds * 1000) },
      'journal compacted',
    );
  }
}
