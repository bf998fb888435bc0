import type { EventRecord } from '../../domain/event.js';
import type { JournalFs } from './fs.js';

/** Notified of what the journal does, for metrics. */
export interface JournalObserver {
  /** `lines` changes became durable together; `fsyncSeconds` is the time of their fdatasync. */
  batchWritten(lines: number, fsyncSeconds: number): void;
  /** A write or fsync failed; its changes were refused. */
  writeFailed(): void;
  compacted(result: 'ok' | 'failed', seconds: number): void;
}

/** Settings of a `FileJournal`; tests shrink the thresholds and inject file system failures. */
export interface FileJournalOptions {
  /** Default: node:fs. */
  readonly fs?: JournalFs;
  /** Compact once the journal has more than `compactRatio` x events + `compactMinLines` lines. Default 2. */
  readonly compactRatio?: number;
  /** See `compactRatio`. Default 1000. */
  readonly compactMinLines?: number;
  readonly observer?: JournalObserver;
}

/** Where an opened journal stands: the state it replayed and the size of its file. */
export interface JournalPosition {
  readonly records: Map<string, EventRecord>;
  readonly revision: number;
  /** Bytes of durable lines in the journal file. */
  readonly size: number;
  /** Lines in the journal file. */
  readonly lines: number;
}
