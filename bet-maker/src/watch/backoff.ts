import { setTimeout as delay } from 'node:timers/promises';

/** Randomness and time, injected so the reconnect loop is testable without waiting. */
export interface Clock {
  /** Uniform in [0, 1). */
  random: () => number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const systemClock: Clock = {
  random: Math.random,
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

/**
 * Capped exponential backoff with full jitter: uniform in [0, min(max, min * 2^attempt)). Full jitter
 * spreads the reconnects of many replicas after a provider restart instead of synchronising them.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const cap = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * cap);
}

/**
 * Runs `fn` until it succeeds, sleeping with backoff between failures; only an abort stops it (and then
 * the last error is thrown). Used where skipping the work is not an option, e.g. applying a change.
 */
export async function retryUntilDone<T>(
  fn: () => Promise<T>,
  opts: BackoffOptions & {
    clock: Clock;
    signal: AbortSignal;
    onError: (err: unknown, attempt: number) => void;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.signal.aborted) throw err;
      opts.onError(err, attempt);
      await opts.clock.sleep(
        Math.max(opts.minMs, backoffDelay(attempt, opts, opts.clock.random)),
        opts.signal,
      );
      if (opts.signal.aborted) throw err;
    }
  }
}
