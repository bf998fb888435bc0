/** The wait while the event loop keeps up: at 1,000 changes/s, a burst of about 5 changes per stream. */
export const MIN_FLUSH_INTERVAL_MS = 5;
/** The longest wait, however late the loop runs. */
export const MAX_FLUSH_INTERVAL_MS = 20;
/** Lateness within this is a timer's own granularity (whole milliseconds), not a busy loop. */
const SLACK_MS = 1;
/** Each timer moves the estimate by 1/16 of its difference: all streams share one loop, one slow turn is no trend. */
const SMOOTHING = 16;

/**
 * How long a stream's live changes wait to be written together: MIN_FLUSH_INTERVAL_MS while the event loop
 * keeps up, and as much longer as its flush timers fire late, up to MAX_FLUSH_INTERVAL_MS. A late loop means
 * the process is short of CPU, and then fewer, larger writes are what lets it catch up: each write to a stream
 * goes through grpc-js, nghttp2 and a system call whatever it carries. One pacer serves every stream of a
 * process (they share its loop). The first change after a quiet spell never waits (see WatchSession).
 *
 * Measured (bench/, fan-out, 100 watchers at 1,000 changes/s on a 2-core machine that the scenario saturates,
 * 2026-11-27 22:20): delivery p99 231 to 314 ms with a fixed 5 ms, 106 to 181 ms with 10 ms, 98 and 122 ms with
 * 20 ms; but at 100 changes/s a fixed 20 ms cost 28 and 34 ms against 17 to 19 ms. This pacer, alternating
 * with the fixed 5 ms: 108 to 174 ms against 221 to 272 ms, and 13 to 20 ms against 15 to 27 ms at 100
 * changes/s (BENCHMARKS.md, optimisation 16).
 */
export class FlushPacer {
  /** Smoothed lateness of the flush timers beyond SLACK_MS, in ms. */
  private lateMs = 0;

  get intervalMs(): number {
    return Math.min(MAX_FLUSH_INTERVAL_MS, MIN_FLUSH_INTERVAL_MS + this.lateMs);
  }

  /** A flush timer fired `lateMs` after it was due (negative: early). */
  observe(lateMs: number): void {
    const late = Math.min(MAX_FLUSH_INTERVAL_MS, Math.max(0, lateMs - SLACK_MS));
    this.lateMs += (late - this.lateMs) / SMOOTHING;
  }
}
