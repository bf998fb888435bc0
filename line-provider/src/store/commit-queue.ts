import type { EventRecord } from '../domain/event.js';
import type { Journal } from './journal.js';
import { StorageUnavailableError } from './storage-error.js';

interface Entry {
  readonly record: EventRecord;
  state: 'waiting' | 'durable' | 'failed';
  error?: unknown;
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The changes the store has decided but not yet made durable, in revision order. The next mutation is decided
 * against them (see {@link latest}), so mutations need not wait for each other's fsync and the journal can write
 * many at once (group commit). A change is applied (made visible and published) only once it is durable and
 * every change before it was applied. When one fails, it and every change after it fail together, because each
 * later one was decided on top of it; the changes before it are unaffected.
 */
export class CommitQueue {
  private entries: Entry[] = [];
  /** The newest decided record of each event with a change in flight. */
  private readonly overlay = new Map<string, EventRecord>();

  constructor(
    private readonly journal: Journal,
    private readonly apply: (record: EventRecord) => void,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** The newest record of `eventId` that is decided but not applied yet. */
  latest(eventId: string): EventRecord | undefined {
    return this.overlay.get(eventId);
  }

  /** Revision of the newest change in flight, if any. */
  get lastRevision(): number | undefined {
    return this.entries.at(-1)?.record.revision;
  }

  /** Journals `record`; resolves once it is durable and applied, rejects (and nothing is applied) otherwise. */
  submit(record: EventRecord): Promise<void> {
    let resolve = (): void => undefined;
    let reject: (error: unknown) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = { record, state: 'waiting', done, resolve, reject };
    this.entries.push(entry);
    this.overlay.set(record.eventId, record);
    this.journal.append(record).then(
      () => this.settle(entry, 'durable'),
      (error: unknown) => this.settle(entry, 'failed', error),
    );
    return done;
  }

  /**
   * Resolves when every change decided so far has been applied; rejects when the newest of them failed. An answer
   * that was decided against changes in flight (a no-op repeat, ALREADY_EXISTS...) waits for this, so that a
   * client is never told about a state that then vanishes.
   */
  barrier(): Promise<void> {
    const last = this.entries.at(-1);
    if (last === undefined) return Promise.resolve();
    return last.done.catch((error: unknown) => {
      throw new StorageUnavailableError('an earlier change this answer depends on could not be stored', {
        cause: error,
      });
    });
  }

  private settle(entry: Entry, state: 'durable' | 'failed', error?: unknown): void {
    // Already failed along with an earlier change: its own outcome no longer matters.
    if (entry.state !== 'waiting') return;
    entry.state = state;
    entry.error = error;
    while (this.entries[0] !== undefined && this.entries[0].state !== 'waiting') {
      const head = this.entries[0];
      if (head.state === 'failed') {
        this.failFrom(head);
        return;
      }
      this.entries.shift();
      if (this.overlay.get(head.record.eventId) === head.record) this.overlay.delete(head.record.eventId);
      this.apply(head.record);
      head.resolve();
    }
  }

  /** `head` failed: it and everything decided after it fail; the store falls back to what was applied. */
  private failFrom(head: Entry): void {
    const failed = this.entries;
    this.entries = [];
    this.overlay.clear();
    for (const entry of failed) {
      const own = entry.state === 'failed' ? entry.error : undefined;
      entry.state = 'failed';
      entry.reject(
        own ??
          new StorageUnavailableError('decided on top of a change that could not be stored', {
            cause: head.error,
          }),
      );
    }
  }
}
