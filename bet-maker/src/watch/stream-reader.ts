import { status, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';

/** The stream said nothing, not even a heartbeat, for too long. */
export class WatchdogError extends Error {
  constructor(ms: number) {
    super(`no message from line-provider for ${ms} ms`);
    this.name = 'WatchdogError';
  }
}

/**
 * Buffers a server stream so the consumer can take every message that has arrived in one go (and apply
 * changes in batches). Pauses the stream once the buffered messages weigh `highWater` (by `weigh`, 1 per
 * message unless given; a message of several changes weighs as many), which pushes back to the provider.
 * A watchdog cancels the call when nothing arrived for `idleMs` while the stream was flowing.
 */
export class StreamReader<T> {
  private buf: T[] = [];
  private weight = 0;
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    private readonly call: ClientReadableStream<T>,
    private readonly highWater: number,
    private readonly idleMs: number,
    weigh: (m: T) => number = () => 1,
  ) {
    call.on('data', (m: T) => {
      this.buf.push(m);
      this.weight += weigh(m);
      this.arm();
      if (this.weight >= this.highWater && !this.paused) {
        this.paused = true;
        clearTimeout(this.timer);
        call.pause();
      }
      this.notify();
    });
    // grpc-js may emit 'end' before 'error': the stream is over only once both the data and the status
    // are in, and an error status wins.
    let ended = false;
    let statusIn = false;
    call.on('error', (err: Error) => this.finish(this.failure ?? err));
    call.on('status', (s: StatusObject) => {
      statusIn = true;
      if (s.code !== status.OK)
        this.finish(this.failure ?? Object.assign(new Error(s.details), { code: s.code }));
      else if (ended) this.finish(undefined);
    });
    call.on('end', () => {
      ended = true;
      if (statusIn) this.finish(this.failure);
    });
    this.arm();
  }

  /** Every buffered message (at least one); null when the stream ended cleanly; throws its error. */
  async next(): Promise<T[] | null> {
    while (this.buf.length === 0) {
      if (this.failure) throw this.failure;
      if (this.done) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const out = this.buf;
    this.buf = [];
    this.weight = 0;
    if (this.paused) {
      this.paused = false;
      this.arm();
      this.call.resume();
    }
    return out;
  }

  /** Cancels the call (idempotent); a pending next() then rejects with CANCELLED. */
  cancel(reason?: Error): void {
    if (reason && !this.failure) this.failure = reason;
    clearTimeout(this.timer);
    if (!this.done) this.call.cancel();
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.done) return;
    this.timer = setTimeout(() => this.cancel(new WatchdogError(this.idleMs)), this.idleMs);
    this.timer.unref();
  }

  private finish(err: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    this.failure = err;
    clearTimeout(this.timer);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
