/**
 * HTTP to bet-maker from the fault tests. Each request has a connection of its own (`agent: false`):
 * reusing an idle keep-alive connection races with the server closing it (its keepAliveTimeout), and
 * a POST that loses that race fails without reaching bet-maker, which would be the test's fault.
 */
import { request as httpRequest } from 'node:http';
import { waitFor } from './wait-for.js';

export interface Reply<T> {
  status: number;
  body: T;
}

/** One request; the body is sent and parsed as JSON (text when the answer is not JSON). */
export function request<T = unknown>(
  base: string,
  method: string,
  path: string,
  json?: unknown,
): Promise<Reply<T>> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          const isJson = (res.headers['content-type'] ?? '').includes('json') && text !== '';
          try {
            resolve({ status: res.statusCode ?? 0, body: (isJson ? JSON.parse(text) : text) as T });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Readiness {
  status: number;
  body: { status?: string; checks?: Record<string, unknown>; orphaned_bets?: number | null };
}

export async function readyz(base: string): Promise<Readiness> {
  return request<Readiness['body']>(base, 'GET', '/readyz');
}

/** Polls /readyz until it answers `status` (a process cannot be awaited otherwise). */
export async function waitForReadyz(base: string, status: 200 | 503, timeoutMs = 20_000): Promise<Readiness> {
  return waitFor(
    async () => {
      const r = await readyz(base);
      return r.status === status ? r : undefined;
    },
    { timeoutMs, intervalMs: 50, message: `${base}/readyz ${status}` },
  );
}

/** One sample of a Prometheus text exposition (the first line that matches, labels included). */
export async function scrape(base: string, sample: string): Promise<number | undefined> {
  const { body } = await request<string>(base, 'GET', '/metrics');
  const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
