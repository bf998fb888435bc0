import type { EventRecord } from '../domain/event.js';

/**
 * The most recent changes, at most `capacity` of them, so that a watcher that reconnects to the same instance can
 * be sent only what it missed. Revisions in the ring are contiguous because every change passes through it.
 */
export class ChangeRing {
  private readonly buffer: EventRecord[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(change: EventRecord): void {
    if (this.capacity === 0) return;
    if (this.buffer.length < this.capacity) {
      this.buffer.push(change);
    } else {
      this.buffer[this.start] = change;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /**
   * The changes after `revision`, oldest first, given that the last change had `current`; undefined when some of
   * them are no longer held (or `revision` is in the future), so the caller must send a full snapshot instead.
   */
  since(revision: number, current: number): EventRecord[] | undefined {
    const missed = current - revision;
    if (!Number.isSafeInteger(missed) || missed < 0 || missed > this.buffer.length) return undefined;
    const result: EventRecord[] = [];
    for (let i = this.buffer.length - missed; i < this.buffer.length; i += 1) {
      const change = this.buffer[(this.start + i) % this.buffer.length];
      if (change !== undefined) result.push(change);
    }
    return result;
  }
}
