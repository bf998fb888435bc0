import http from 'node:http';

import { countFailure, errorKind, type HttpLoad, type LoadResult } from './http-load.js';
import { Recorder } from './stats.js';

/** An HTTP load (see {@link HttpLoad}) at a steady rate; a request due while every connection is busy waits for one. */
export interface PacedLoad extends Omit<HttpLoad, 'recorder'> {
  /** Requests per second, issued evenly (one every 1000 / rate ms), whether or not answers keep up. */
  ratePerS: number;
}

/** What a paced run adds to a {@link LoadResult}: how late the driver itself issued requests. */
export interface PacedResult extends LoadResult {
  /** ms between a request's due time and when the driver issued it: p99 and max (its own timer lateness). */
  issueLateness: { p99: number; max: number };
}

/**
 * An open-model load at a steady rate (as wrk2 does): request i is due at start + i / rate and is issued then,
 * whatever the answers before it are doing. Latency runs from the moment a request is issued to the end of
 * its answer, so time spent waiting for a free connection counts (no coordinated omission).
 *
 * autocannon's `overallRate` is not this: it lets every connection send flat out until the second's budget is
 * spent, then pauses until the next second, so its latencies are those of a closed loop in a burst.
 */
export function startPaced(l: PacedLoad): { done: Promise<PacedResult>; stop: () => void } {
  const base = new URL(l.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: l.connections });
  const rec = new Recorder();
  const lateness = new Recorder();
  const statusCodes: Record<string, number> = {};
  const intervalMs = 1000 / l.ratePerS;
  const t0 = performance.now();
  let issued = 0;
  let inFlight = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const failures: Record<string, number> = {};
  let bytes = 0;
  let stopped = false;
  let stoppedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolve: (r: PacedResult) => void = () => undefined;
  const done = new Promise<PacedResult>((r) => (resolve = r));

  const finish = () => {
    if (!stopped || inFlight > 0) return;
    agent.destroy();
    const durationS = (stoppedAt - t0) / 1000;
    resolve({
      durationS,
      ok,
      non2xx,
      errors,
      rps: ok / durationS,
      latency: rec.summary(),
      recorder: rec,
      bytesPerResponse: ok === 0 ? 0 : bytes / ok,
      statusCodes,
      failures,
      issueLateness: { p99: lateness.percentile(99), max: lateness.percentile(100) },
    });
  };

  const issue = () => {
    const body = l.body?.();
    const headers: Record<string, string | number> = { ...l.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const start = performance.now();
    inFlight++;
    const settle = () => {
      inFlight--;
      finish();
    };
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: l.method ?? 'GET',
        path: l.pathFn?.() ?? l.path,
        headers,
        timeout: 30_000,
      },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          statusCodes[code] = (statusCodes[code] ?? 0) + 1;
          if (code >= 200 && code < 300) {
            ok++;
            bytes += size;
            rec.add(performance.now() - start);
          } else {
            non2xx++;
            countFailure(failures, `HTTP ${code}`);
          }
          settle();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      errors++;
      countFailure(failures, errorKind(err));
      settle();
    });
    req.end(body);
  };

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const now = performance.now();
    if (now - t0 >= l.durationS * 1000) return stop();
    for (let due = t0 + issued * intervalMs; due <= now; due = t0 + issued * intervalMs) {
      lateness.add(now - due);
      issued++;
      issue();
    }
    timer = setTimeout(tick, Math.max(0, t0 + issued * intervalMs - performance.now()));
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    stoppedAt = performance.now();
    clearTimeout(timer);
    finish();
  };

  tick();
  return { done, stop };
}

/** Runs a paced load for its duration and returns the result. */
export function runPaced(l: PacedLoad): Promise<PacedResult> {
  return startPaced(l).done;
}
