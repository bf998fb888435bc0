/** A queue with O(1) shift (Array#shift copies the whole array, which adds up for a 10,000-deep watch queue). */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head += 1;
    this.compact();
    return item;
  }

  /** Drops the consumed prefix once it dominates, so memory follows the live length. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
