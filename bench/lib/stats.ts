/** Latency samples in milliseconds, kept whole (a run has at most a few million) for exact percentiles. */
export class Recorder {
  private samples = new Float64Array(1024);
  private n = 0;
  private sorted: Float64Array | undefined;

  add(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
    this.sorted = undefined;
  }

  get count(): number {
    return this.n;
  }

  /** The p-th percentile (0-100), nearest-rank; 0 when empty. */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    this.sorted ??= this.samples.slice(0, this.n).sort();
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
    return this.sorted[rank] ?? 0;
  }

  /** In result files a recorder is its summary: its raw samples would make them megabytes long. */
  toJSON(): LatencySummary {
    return this.summary();
  }

  summary(): LatencySummary {
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += this.samples[i] ?? 0;
    return {
      count: this.n,
      mean: this.n === 0 ? 0 : sum / this.n,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.percentile(100),
    };
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Rounds for display and JSON: 2 decimals below 100, 1 below 1000, whole above. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const d = a < 100 ? 100 : a < 1000 ? 10 : 1;
  return Math.round(x * d) / d;
}
