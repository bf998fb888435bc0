import type { EventRecord, EventStatus } from '../domain/event.js';
import { SortedRecords } from './sorted-records.js';

const byId = (a: EventRecord, b: EventRecord): number =>
  a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;

/** The stored events: looked up by id, listed in id order, counted by status (for metrics). */
export class EventIndex {
  private readonly byId = new Map<string, EventRecord>();
  private readonly sorted = new SortedRecords();
  private readonly counts: Record<EventStatus, number> = { NEW: 0, FINISHED_WIN: 0, FINISHED_LOSE: 0 };

  get size(): number {
    return this.byId.size;
  }

  get(eventId: string): EventRecord | undefined {
    return this.byId.get(eventId);
  }

  /** Inserts the record, or replaces the event's previous one. */
  put(record: EventRecord): void {
    const previous = this.byId.get(record.eventId);
    if (previous !== undefined) this.counts[previous.status] -= 1;
    this.counts[record.status] += 1;
    this.byId.set(record.eventId, record);
    this.sorted.upsert(record);
  }

  /** Puts many records at once; sorted first, because SortedRecords inserts in O(n) unless records come in order. */
  load(records: Iterable<EventRecord>): void {
    for (const record of [...records].sort(byId)) this.put(record);
  }

  page(afterId: string | undefined, limit: number): { records: EventRecord[]; more: boolean } {
    return this.sorted.page(afterId, limit);
  }

  all(): EventRecord[] {
    return this.sorted.all();
  }

  countByStatus(): Readonly<Record<EventStatus, number>> {
    return { ...this.counts };
  }
}
