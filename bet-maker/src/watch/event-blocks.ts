import { toEventView, type EventRecord } from '../domain/event.js';
import { deflatePart, gzipFromParts, type Part } from './gzip-parts.js';

/** An open event and its element of the `GET /events` array. */
export interface Entry {
  readonly id: string;
  readonly deadlineMs: number;
  /** The event until a block is built with it; then its EventView's UTF-8 JSON (a view of the block's bytes). */
  content: EventRecord | Buffer;
}

/** A `GET /events` body and where it stops being true. */
export interface Rendered {
  /** Events in it. */
  count: number;
  /** The earliest deadline in it: the body must not be served from then on. */
  validUntil: number;
  /** Length of the JSON. */
  bytes: number;
  /** The UTF-8 JSON, joined at the first call. */
  json: () => Buffer;
  /** The JSON gzip-compressed, joined at the first call from the blocks' compressed bytes. */
  gzip: () => Buffer;
}

/** The order of `GET /events`: by deadline, then id. */
export const compare = (a: Entry, b: Entry): number =>
  a.deadlineMs - b.deadlineMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const OPEN = Buffer.from('[');
const COMMA = 0x2c;
const CLOSE = Buffer.from(']');
const CLOSE_PART = deflatePart(CLOSE, true);

/** Consecutive entries, never none, and their bytes once built. */
interface Block {
  entries: Entry[];
  bytes: BlockBytes | undefined;
}

/** A block's share of the body: each entry's JSON after a comma (`,e1,e2`), and that compressed. */
class BlockBytes {
  private deflated: Part | undefined;

  constructor(
    readonly json: Buffer,
    /** Where each entry's comma is in `json`. */
    private readonly starts: Uint32Array,
  ) {}

  /** Entries in `json`. */
  get count(): number {
    return this.starts.length;
  }

  /** The JSON from the `index`-th entry on, without the comma before it. */
  from(index: number): Buffer {
    return this.json.subarray((this.starts[index] ?? this.json.length) + 1);
  }

  get part(): Part {
    this.deflated ??= deflatePart(this.json);
    return this.deflated;
  }
}

/**
 * The open events in body order, in blocks of consecutive entries whose bytes (JSON, and that compressed) are
 * built once after any of their entries changed. A change costs one block's bytes at the next body, not every
 * event's: the body then joins a few dozen buffers, and its gzip form their compressed parts (see
 * gzip-parts.ts) instead of compressing a megabyte again (`npx tsx bench/event-cache.ts`).
 */
export class EventBlocks {
  private constructor(
    private readonly blocks: Block[],
    /** Entries per block when sorted afresh; a block is split past twice this and joined below half. */
    private readonly size: number,
  ) {}

  /** `entries` (sorted here) in blocks of `size`. */
  static of(entries: Entry[], size: number): EventBlocks {
    const sorted = entries.sort(compare);
    const blocks: Block[] = [];
    for (let i = 0; i < sorted.length; i += size) {
      blocks.push({ entries: sorted.slice(i, i + size), bytes: undefined });
    }
    return new EventBlocks(blocks, size);
  }

  insert(entry: Entry): void {
    const b = Math.min(this.blockOf(entry), this.blocks.length - 1);
    const block = this.blocks[b];
    if (block === undefined) {
      this.blocks.push({ entries: [entry], bytes: undefined });
      return;
    }
    block.entries.splice(search(block.entries, entry), 0, entry);
    block.bytes = undefined;
    if (block.entries.length > 2 * this.size) this.blocks.splice(b, 1, ...halves(block.entries));
  }

  /** Removes `entry` (the very object inserted). */
  remove(entry: Entry): void {
    const b = this.blockOf(entry);
    const block = this.blocks[b];
    const at = block === undefined ? -1 : search(block.entries, entry);
    if (block === undefined || block.entries[at] !== entry) return;
    block.entries.splice(at, 1);
    block.bytes = undefined;
    if (block.entries.length * 2 >= this.size) return;
    // Too small: joined to the next block (or the one before), split again if that makes it too big.
    this.blocks.splice(b, 1);
    if (block.entries.length === 0) return;
    const n = b < this.blocks.length ? b : b - 1;
    const neighbour = this.blocks[n];
    if (neighbour === undefined) {
      this.blocks.push(block);
      return;
    }
    const joined =
      n === b ? [...block.entries, ...neighbour.entries] : [...neighbour.entries, ...block.entries];
    this.blocks.splice(n, 1, ...(joined.length > 2 * this.size ? halves(joined) : [fresh(joined)]));
  }

  /** The body at `now`: the entries whose deadline is after `now`, which come last in this order. */
  render(now: number): Rendered {
    const b = firstNot(this.blocks, (block) => (block.entries.at(-1)?.deadlineMs ?? now) <= now);
    const head = this.blocks[b];
    const k = head === undefined ? 0 : firstNot(head.entries, (e) => e.deadlineMs <= now);
    const first = head === undefined ? OPEN : Buffer.concat([OPEN, bytesOf(head).from(k)]);
    const rest = this.blocks.slice(b + 1).map(bytesOf);
    let count = head === undefined ? 0 : head.entries.length - k;
    let bytes = first.length + CLOSE.length;
    for (const r of rest) {
      count += r.count;
      bytes += r.json.length;
    }
    let json: Buffer | undefined;
    let zipped: Buffer | undefined;
    return {
      count,
      validUntil: head?.entries[k]?.deadlineMs ?? Number.POSITIVE_INFINITY,
      bytes,
      json: () => {
        json ??= Buffer.concat([first, ...rest.map((r) => r.json), CLOSE], bytes);
        return json;
      },
      gzip: () => {
        zipped ??= gzipFromParts([deflatePart(first), ...rest.map((r) => r.part), CLOSE_PART]);
        return zipped;
      },
    };
  }

  /** The first block whose last entry is not before `entry` (blocks.length when none). */
  private blockOf(entry: Entry): number {
    return firstNot(this.blocks, (block) => {
      const last = block.entries.at(-1);
      return last !== undefined && compare(last, entry) < 0;
    });
  }
}

const fresh = (entries: Entry[]): Block => ({ entries, bytes: undefined });

function halves(entries: Entry[]): Block[] {
  const mid = entries.length >>> 1;
  return [fresh(entries.slice(0, mid)), fresh(entries.slice(mid))];
}

/** The first index of `list` at which `before` no longer holds (it holds for a prefix of `list`, then never). */
function firstNot<T>(list: readonly T[], before: (item: T) => boolean): number {
  let lo = 0;
  for (let hi = list.length; lo < hi;) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid];
    if (at !== undefined && before(at)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where `entry` is in `list` (ordered by {@link compare}), or where it goes. */
const search = (list: readonly Entry[], entry: Entry): number =>
  firstNot(list, (at) => compare(at, entry) < 0);

/**
 * The block's bytes, built now if a change dropped them: the JSON of entries that have none yet is written, the
 * rest copied, all into one buffer that the entries then view (so the block's previous buffer can go).
 */
function bytesOf(block: Block): BlockBytes {
  if (block.bytes !== undefined) return block.bytes;
  const parts = block.entries.map((e) =>
    Buffer.isBuffer(e.content) ? e.content : JSON.stringify(toEventView(e.content)),
  );
  let length = 0;
  for (const p of parts) length += 1 + (typeof p === 'string' ? Buffer.byteLength(p) : p.length);
  const json = Buffer.allocUnsafe(length);
  const starts = new Uint32Array(parts.length);
  let at = 0;
  block.entries.forEach((entry, i) => {
    const p = parts[i] ?? '';
    starts[i] = at;
    json[at++] = COMMA;
    const end = at + (typeof p === 'string' ? json.write(p, at) : p.copy(json, at));
    entry.content = json.subarray(at, end);
    at = end;
  });
  block.bytes = new BlockBytes(json, starts);
  return block.bytes;
}
