import { acceptsBets, toEventView, type EventRecord } from '../domain/event.js';

/** A serialised `GET /events` body, valid until the earliest deadline in it passes. */
export interface EventsBody {
  /** UTF-8 JSON, encoded once: a response then copies no string into bytes. */
  json: Buffer;
  etag: string;
  validUntil: number;
}

/**
 * The open events as line-provider last told us, for `GET /events`. The body is serialised once per
 * change (or when a deadline in it passes), not once per request; filtering still happens at request
 * time because the body never outlives its earliest deadline.
 */
export class EventCache {
  private readonly open = new Map<string, EventRecord>();
  private body: EventsBody | undefined;
  private version = 0;

  /** Replaces everything with a snapshot. */
  replace(events: Iterable<EventRecord>): void {
    this.open.clear();
    this.apply(events);
  }

  /** Applies changes in order: NEW events are kept, finished ones dropped. */
  apply(events: Iterable<EventRecord>): void {
    for (const e of events) {
      if (e.status === 'NEW') this.open.set(e.id, e);
      else this.open.delete(e.id);
    }
    this.body = undefined;
    this.version++;
  }

  get size(): number {
    return this.open.size;
  }

  /** The events that accept bets at `now`, ordered by deadline then id. */
  bodyAt(now: number): EventsBody {
    if (this.body !== undefined && now < this.body.validUntil) return this.body;
    const list = [...this.open.values()].filter((e) => acceptsBets(e, now));
    list.sort((a, b) => a.deadline.getTime() - b.deadline.getTime() || (a.id < b.id ? -1 : 1));
    const validUntil = list[0]?.deadline.getTime() ?? Number.POSITIVE_INFINITY;
    this.body = {
      json: Buffer.from(JSON.stringify(list.map(toEventView))),
      etag: `W/"${this.version}-${list.length}-${validUntil}"`,
      validUntil,
    };
    return this.body;
  }
}
