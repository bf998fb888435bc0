import type { EventRecord } from '../domain/event.js';
import { EventBlocks, type Entry, type Rendered } from './event-blocks.js';

/** A serialised `GET /events` body, valid until the earliest deadline in it passes. */
export interface EventsBody extends Omit<Rendered, 'count'> {
  etag: string;
}

/** Settings of an {@link EventCache}. */
export interface EventCacheOptions {
  /** Events per block of the body (see EventBlocks); default 256. */
  blockSize?: number;
}

/**
 * The open events as line-provider last told us, for `GET /events`. The body is built once per change (or when
 * a deadline in it passes), not once per request, and a build mostly joins what is already serialised and
 * compressed: the events are kept in body order, in blocks whose bytes are rebuilt only when one of their events
 * changed (EventBlocks). With 10,000 events a change and the next gzip body take about 0.6 ms (8 ms when every
 * change serialised and compressed the whole megabyte again), with 100,000 about 3 ms instead of 160
 * (`npx tsx bench/event-cache.ts`, 2026-11-27). Applying a snapshot serialises nothing: that would delay
 * readiness. Filtering still happens at build time: the body never outlives its earliest deadline.
 */
export class EventCache {
  private readonly open = new Map<string, Entry>();
  /** undefined after a snapshot or a big change: sorted again at the next build. */
  private blocks: EventBlocks | undefined;
  private body: EventsBody | undefined;
  private version = 0;
  private readonly blockSize: number;

  constructor(options: EventCacheOptions = {}) {
    this.blockSize = options.blockSize ?? 256;
    this.blocks = EventBlocks.of([], this.blockSize);
  }

  /** Replaces everything with a snapshot. */
  replace(events: Iterable<EventRecord>): void {
    this.open.clear();
    this.blocks = undefined;
    this.apply(events);
  }

  /** Applies changes in order: NEW events are kept, finished ones dropped. */
  apply(events: Iterable<EventRecord>): void {
    // Past this many changes at once, one sort at the next build is cheaper than keeping the order.
    const many = Math.max(256, this.open.size / 4);
    let changed = 0;
    for (const e of events) {
      if (this.blocks !== undefined && ++changed > many) this.blocks = undefined;
      const old = this.open.get(e.id);
      if (old !== undefined) {
        this.open.delete(e.id);
        this.blocks?.remove(old);
      }
      if (e.status !== 'NEW') continue;
      const entry: Entry = { id: e.id, deadlineMs: e.deadline.getTime(), content: e };
      this.open.set(e.id, entry);
      this.blocks?.insert(entry);
    }
    this.body = undefined;
    this.version++;
  }

  get size(): number {
    return this.open.size;
  }

  /** The events that accept bets at `now` (NEW, deadline after `now`), ordered by deadline then id. */
  bodyAt(now: number): EventsBody {
    if (this.body !== undefined && now < this.body.validUntil) return this.body;
    this.blocks ??= EventBlocks.of([...this.open.values()], this.blockSize);
    const { count, validUntil, bytes, json, gzip } = this.blocks.render(now);
    this.body = { etag: `W/"${this.version}-${count}-${validUntil}"`, validUntil, bytes, json, gzip };
    return this.body;
  }
}
