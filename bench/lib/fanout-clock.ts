/**
 * The fan-out scenario stamps each change with the time it was sent, inside the change itself: the deadline
 * carries the whole milliseconds (plus a year, to stay in the future) and the coefficient "1.xx" the
 * hundredths of a millisecond. Watchers in other processes read the stamp back; every process on the
 * machine shares the wall clock, and `performance.timeOrigin + performance.now()` reads it to the microsecond.
 */
const OFFSET_MS = 365 * 86_400_000;

export const nowMs = (): number => performance.timeOrigin + performance.now();

export function stamp(t: number): { deadline: Date; coefficient: string } {
  const whole = Math.floor(t);
  const hundredths = Math.min(99, Math.floor((t - whole) * 100));
  return { deadline: new Date(whole + OFFSET_MS), coefficient: `1.${String(hundredths).padStart(2, '0')}` };
}

export function unstamp(deadline: Date, coefficient: string): number {
  const hundredths = Number(coefficient.split('.')[1] ?? '0');
  return deadline.getTime() - OFFSET_MS + hundredths / 100;
}

/** Latencies in 10 µs buckets up to 5 s (the last bucket takes everything above). */
export class Histogram {
  static readonly BUCKETS = 500_000;
  readonly counts = new Uint32Array(Histogram.BUCKETS);
  total = 0;

  add(ms: number): void {
    const b = Math.min(Histogram.BUCKETS - 1, Math.max(0, Math.floor(ms * 100)));
    this.counts[b] = (this.counts[b] ?? 0) + 1;
    this.total++;
  }

  /** Non-empty buckets, for IPC. */
  sparse(): [number, number][] {
    const out: [number, number][] = [];
    this.counts.forEach((c, i) => {
      if (c > 0) out.push([i, c]);
    });
    return out;
  }

  merge(sparse: [number, number][]): void {
    for (const [i, c] of sparse) {
      this.counts[i] = (this.counts[i] ?? 0) + c;
      this.total += c;
    }
  }

  /** Upper edge of the bucket holding the p-th percentile, in ms. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return (i + 1) / 100;
    }
    return Histogram.BUCKETS / 100;
  }
}
