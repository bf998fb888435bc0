import type { EventRecord } from '../domain/event.js';

/**
 * Events ordered by id (plain string comparison, which for ASCII ids is byte order), for ListEvents pages and
 * snapshots that come out in a stable order. Events are never deleted, so insert and replace are all it needs.
 */
export class SortedRecords {
  private readonly records: EventRecord[] = [];

  get length(): number {
    return this.records.length;
  }

  /** Inserts the record, or replaces the one with the same id. O(log n) search, O(n) insert. */
  upsert(record: EventRecord): void {
    const index = this.lowerBound(record.eventId);
    if (this.records[index]?.eventId === record.eventId) {
      this.records[index] = record;
    } else {
      this.records.splice(index, 0, record);
    }
  }

  /** Up to `limit` records whose id sorts after `afterId` (from the start when undefined). */
  page(afterId: string | undefined, limit: number): { records: EventRecord[]; more: boolean } {
    let start = 0;
    if (afterId !== undefined) {
      start = this.lowerBound(afterId);
      if (this.records[start]?.eventId === afterId) start += 1;
    }
    const end = start + limit;
    return { records: this.records.slice(start, end), more: end < this.records.length };
  }

  /** A copy of every record: references only, the records themselves are immutable. */
  all(): EventRecord[] {
    return this.records.slice();
  }

  /** Index of the first record whose id is not less than `id`. */
  private lowerBound(id: string): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midId = this.records[mid]?.eventId ?? '';
      if (midId < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
