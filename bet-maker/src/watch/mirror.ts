import type { Logger } from 'pino';
import { countOrphanedBets, markOrphans, upsertEvents } from '../db/events-repo.js';
import type { Db } from '../db/sql.js';
import type { EventRecord } from '../domain/event.js';
import type { Metrics } from '../metrics.js';
import { EventCache } from './event-cache.js';
import type { Position } from './session.js';
import type { Settler } from './settler.js';

export interface MirrorOptions {
  db: Db;
  settler: Settler;
  logger: Logger;
  metrics: Metrics;
  /** Runs a database write until it succeeds (the watcher retries with backoff; never skips). */
  write: <T>(fn: () => Promise<T>) => Promise<T>;
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

  /** Upserts the whole snapshot and marks open events it lacks as orphaned, in one transaction. */
  async applySnapshot(instanceId: string, revision: bigint, events: EventRecord[]): Promise<void> {
    const { changed, orphans } = await this.o.write(() =>
      this.o.db.transaction(async (tx) => ({
        changed: await upsertEvents(tx, events, instanceId),
        orphans: await markOrphans(tx, instanceId),
      })),
    );
    this.cache.replace(events);
    this.at = { instanceId, revision };
    this.o.logger.info({ instanceId, revision: String(revision), events: events.length }, 'snapshot applied');
    for (const e of changed) this.o.settler.enqueue(e.id, e.status);
    if (orphans.length > 0) await this.reportOrphans(orphans);
    this.o.metrics.streamRevision.set(Number(revision));
    const first = !this.synced;
    this.synced = true;
    this.o.onApplied(this.at, first);
  }

  /** Applies contiguous changes that follow the current position. */
  async applyChanges(changes: EventRecord[]): Promise<void> {
    const at = this.at;
    const last = changes[changes.length - 1];
    if (at === undefined || last === undefined) return;
    await this.o.write(() => upsertEvents(this.o.db, changes, at.instanceId));
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
