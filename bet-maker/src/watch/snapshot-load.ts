import { insertAbsentEvents, lockSnapshotEnd, markOrphans, upsertEvents } from '../db/events-repo.js';
import type { Db, Queryable } from '../db/sql.js';
import type { EventStatus } from '../domain/bet.js';
import type { EventRecord } from '../domain/event.js';

/** Runs a database write until it succeeds or `signal` aborts (the watcher's retry with backoff). */
export type Write = <T>(fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/**
 * Events per statement while the snapshot arrives: at least MIN_BATCH (fewer only at the end), so that the
 * per-statement cost stays small next to the rows, and at most MAX_BATCH, which bounds the parameters.
 */
const MIN_BATCH = 2_000;
const MAX_BATCH = 10_000;

export interface LoadedSnapshot {
  events: EventRecord[];
  /** Rows that changed to a finished status (to settle). */
  changed: { id: string; status: EventStatus }[];
  /** Open events that this snapshot lacked, newly marked orphaned. */
  orphans: string[];
  /** Milliseconds from the header to the commit, and from the snapshot end to the commit. */
  ms: number;
  tailMs: number;
}

/** What the transaction did. */
type Applied = Pick<LoadedSnapshot, 'changed' | 'orphans'>;

/** The stream broke before the snapshot end: the transaction is rolled back. */
export class SnapshotAborted extends Error {
  constructor() {
    super('snapshot aborted');
    this.name = 'SnapshotAborted';
  }
}

/**
 * Applies one snapshot while it still arrives, in one transaction opened at the header: each batch that
 * came in is inserted at once where the event has no row yet (insertAbsentEvents: no lock a bet could wait
 * on); at the end the existing rows that move forward and the orphan candidates are locked in id order,
 * then upserted, orphans are marked and the transaction commits. abort() rolls back, so a cut mid-snapshot leaves nothing of it.
 * The events are kept (the cache needs them anyway): a failed transaction is retried from the first event,
 * never by replaying the stream.
 */
export class SnapshotLoad {
  private readonly events: EventRecord[] = [];
  private ended = false;
  private readonly cancel = new AbortController();
  private wake: (() => void) | undefined;
  private readonly started = performance.now();
  private endedAt = 0;
  private attempts = 0;
  private readonly result: Promise<Applied>;

  constructor(
    db: Db,
    private readonly instanceId: string,
    write: Write,
  ) {
    this.result = write(() => db.transaction((tx) => this.apply(tx)), this.cancel.signal);
    // Awaited by finish() or abort(); this keeps a rejection before then from counting as unhandled.
    this.result.catch(() => undefined);
  }

  add(events: readonly EventRecord[]): void {
    for (const e of events) this.events.push(e);
    this.notify();
  }

  /** Every event is in: resolves once the transaction committed. */
  async finish(): Promise<LoadedSnapshot> {
    this.ended = true;
    this.endedAt = performance.now();
    this.notify();
    const applied = await this.result;
    const now = performance.now();
    return { ...applied, events: this.events, ms: now - this.started, tailMs: now - this.endedAt };
  }

  /** Rolls back (or stops retrying); resolves once nothing of the snapshot is in flight. */
  async abort(): Promise<void> {
    this.cancel.abort();
    this.notify();
    await this.result.catch(() => undefined);
  }

  private async apply(tx: Queryable): Promise<Applied> {
    // After a failure (perhaps another replica inserting the same new events), the slower, race-proof insert.
    const skipRaced = this.attempts++ > 0;
    const changed: { id: string; status: EventStatus }[] = [];
    const later = new Set<string>();
    for (let done = 0; ;) {
      if (this.cancel.signal.aborted) throw new SnapshotAborted();
      const waiting = this.events.length - done;
      if (waiting >= MIN_BATCH || (this.ended && waiting > 0)) {
        const batch = this.events.slice(done, done + MAX_BATCH);
        done += batch.length;
        const r = await insertAbsentEvents(tx, batch, this.instanceId, { skipRaced });
        changed.push(...r.finished);
        for (const id of r.later) later.add(id);
      } else if (this.ended) {
        break;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
    if (later.size > 0) {
      await lockSnapshotEnd(tx, [...later], this.instanceId);
      const moved = await upsertEvents(
        tx,
        this.events.filter((e) => later.has(e.id)),
        this.instanceId,
      );
      for (const m of moved) if (m.status !== 'NEW') changed.push(m);
    }
    return { changed, orphans: await markOrphans(tx, this.instanceId) };
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
