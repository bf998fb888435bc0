import type { Logger } from 'pino';
import { countOrphanedBets, upsertEvents } from '../db/events-repo.js';
import type { Db } from '../db/sql.js';
import type { EventRecord } from '../domain/event.js';
import type { Metrics } from '../metrics.js';
import { EventCache } from './event-cache.js';
import type { Position, SnapshotSink } from './session.js';
import type { Settler } from './settler.js';
import { SnapshotLoad, type LoadedSnapshot, type Write } from './snapshot-load.js';

/** Bounds one statement's parameters when a backlog of changes is applied at once. */
const CHANGES_PER_STATEMENT = 5_000;

export interface MirrorOptions {
  db: Db;
  settler: Settler;
  logger: Logger;
  metrics: Metrics;
  /** Runs a database write until it succeeds (the watcher retries with backoff; never skips) or is aborted. */
  write: Write;
  /** Called after every durable apply; `first` on the first snapshot. */
  onApplied: (at: Position, first: boolean) => void;
}

/**
 * Applies what the stream delivers: the database first (conditional upserts), then the in-memory cache,
 * then the position, then settlement of finished events. Knows nothing about gRPC.
 */
export class EventMirror {
  readonly cache = new EventCache();
  private at: Position | undefined;
  private synced = false;

  constructor(private readonly o: MirrorOptions) {}

  get everSynced(): boolean {
    return this.synced;
  }

  position(): Position | undefined {
    return this.at;
  }

  /** Forgets the position, so that the next stream starts from a snapshot. */
  forget(): void {
    this.at = undefined;
  }

  /**
   * Starts applying a snapshot as it arrives (see SnapshotLoad); on commit, the snapshot replaces the cache
   * and the position, and its finished events are settled.
   */
  beginSnapshot(instanceId: string, revision: bigint): SnapshotSink {
    const load = new SnapshotLoad(this.o.db, instanceId, this.o.write);
    return {
      add: (events) => load.add(events),
      abort: () => load.abort(),
      commit: async () => this.snapshotApplied(instanceId, revision, await load.finish()),
    };
  }

  private async snapshotApplied(instanceId: string, revision: bigint, s: LoadedSnapshot): Promise<void> {
    this.cache.replace(s.events);
    this.at = { instanceId, revision };
    this.o.logger.info(
      {
        instanceId,
        revision: String(revision),
        events: s.events.length,
        ms: Math.round(s.ms),
        // What the database still had to do once the last chunk was in: near 0 when it kept up.
        afterEndMs: Math.round(s.tailMs),
      },
      'snapshot applied',
    );
    for (const e of s.changed) this.o.settler.enqueue(e.id, e.status);
    if (s.orphans.length > 0) await this.reportOrphans(s.orphans);
    this.o.metrics.streamRevision.set(Number(revision));
    const first = !this.synced;
    this.synced = true;
    this.o.onApplied(this.at, first);
  }

  /**
   * Applies contiguous changes that follow the current position, CHANGES_PER_STATEMENT per statement (each
   * its own transaction: a crash between two only repeats the first, a no-op).
   */
  async applyChanges(changes: EventRecord[]): Promise<void> {
    const at = this.at;
    const last = changes[changes.length - 1];
    if (at === undefined || last === undefined) return;
    for (let i = 0; i < changes.length; i += CHANGES_PER_STATEMENT) {
      const part = changes.slice(i, i + CHANGES_PER_STATEMENT);
      await this.o.write(() => upsertEvents(this.o.db, part, at.instanceId));
    }
    this.cache.apply(changes);
    this.at = { instanceId: at.instanceId, revision: BigInt(last.revision) };
    for (const e of changes) this.o.settler.enqueue(e.id, e.status);
    this.o.metrics.streamRevision.set(Number(last.revision));
    this.o.onApplied(this.at, false);
  }

  private async reportOrphans(ids: string[]): Promise<void> {
    const bets = await countOrphanedBets(this.o.db).catch(() => undefined);
    if (bets !== undefined) this.o.metrics.orphanedBets.set(bets);
    this.o.logger.error(
      { events: ids.slice(0, 100), count: ids.length, pendingBets: bets },
      'events vanished from line-provider; their bets stay PENDING until they reappear',
    );
  }
}
