import autocannon, { type Instance, type Request } from 'autocannon';
import { Recorder, type LatencySummary } from './stats.js';

export interface HttpLoad {
  /** Base URL, e.g. http://127.0.0.1:8001 */
  url: string;
  connections: number;
  durationS: number;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body for every request. */
  body?: () => string;
  /** A fresh path for every request (overrides `path`). */
  pathFn?: () => string;
  /** Where 2xx latencies go; pass one recorder to several runs to pool their samples. */
  recorder?: Recorder;
}

export interface LoadResult {
  durationS: number;
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  errors: number;
  /** 2xx answers per second. */
  rps: number;
  /** Latency of 2xx answers, ms, full precision (autocannon's own histogram rounds to whole ms). */
  latency: LatencySummary;
  recorder: Recorder;
  bytesPerResponse: number;
  statusCodes: Record<string, number>;
  /** What went wrong, counted by kind: `HTTP <status>` for non-2xx answers, the error code (or message) for the rest. */
  failures: Record<string, number>;
}

/** Counts one failure of the given kind. */
export function countFailure(failures: Record<string, number>, kind: string): void {
  failures[kind] = (failures[kind] ?? 0) + 1;
}

/** The kind of a request error: its code (ECONNRESET, ...) or else its message. */
export function errorKind(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}

/** Adds the failures of `from` to `into`. */
export function addFailures(into: Record<string, number>, from: Record<string, number>): void {
  for (const [kind, n] of Object.entries(from)) into[kind] = (into[kind] ?? 0) + n;
}

/** `label: HTTP 503 x2, ECONNRESET x1`, or nothing when every request succeeded. */
export function describeFailures(label: string, r: Pick<LoadResult, 'failures'>): string[] {
  const kinds = Object.entries(r.failures);
  if (kinds.length === 0) return [];
  return [`${label}: ${kinds.map(([k, n]) => `${k} x${n}`).join(', ')}`];
}

/** Drives HTTP load with autocannon, every connection flat out (a closed loop); `stop()` ends it early. For a steady rate see paced-load.ts. */
export function startLoad(l: HttpLoad): { done: Promise<LoadResult>; stop: () => void } {
  const rec = l.recorder ?? new Recorder();
  let bytes = 0;
  let ok = 0;
  const failures: Record<string, number> = {};
  const setup =
    l.body !== undefined || l.pathFn !== undefined
      ? (req: Request) => ({
          ...req,
          ...(l.body ? { body: l.body() } : {}),
          ...(l.pathFn ? { path: l.pathFn() } : {}),
        })
      : undefined;
  let instance: Instance | undefined;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: l.url,
        connections: l.connections,
        duration: l.durationS,
        timeout: 30,
        requests: [
          {
            method: l.method ?? 'GET',
            path: l.path,
            headers: l.headers ?? {},
            ...(setup ? { setupRequest: setup } : {}),
          },
        ],
      },
      (err, result) => {
        if (err !== null) return reject(err);
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
        );
        resolve({
          durationS: result.duration,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          rps: ok / result.duration,
          latency: rec.summary(),
          recorder: rec,
          bytesPerResponse: ok === 0 ? 0 : bytes / ok,
          statusCodes,
          failures,
        });
      },
    );
    instance.on('reqError', (err: unknown) => countFailure(failures, errorKind(err)));
    instance.on('response', (_client: unknown, status: number, resBytes: number, ms: number) => {
      if (status < 200 || status >= 300) return countFailure(failures, `HTTP ${status}`);
      ok++;
      bytes += resBytes;
      rec.add(ms);
    });
  });
  return { done, stop: () => instance?.stop() };
}

/** Runs load for its duration and returns the result. */
export function runLoad(l: HttpLoad): Promise<LoadResult> {
  return startLoad(l).done;
}
