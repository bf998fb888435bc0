/** Waiting on conditions with a deadline, for the fault tests (never a fixed sleep). */

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between checks; default 25 ms. */
  intervalMs?: number;
  /** What was awaited, for the error; a function is called only on timeout (it may describe state). */
  message?: string | (() => string | Promise<string>);
}

/**
 * Calls `check` until it returns something other than undefined, null or false, and returns that; throws
 * once `timeoutMs` passed. For conditions only observable from outside (a child process, a row count);
 * where an event can be awaited, use {@link within} instead.
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = typeof opts.message === 'function' ? await opts.message() : (opts.message ?? 'condition');
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor: ${what} not within ${opts.timeoutMs} ms${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 25));
  }
}

/** Awaits `promise`, failing with a clear message after `timeoutMs` instead of hanging the test. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
