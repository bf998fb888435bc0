import type { Middleware } from 'koa';
import type { RateLimitConfig } from '../config.js';
import { problemOf, sendProblem } from './problem.js';

export interface TokenBucketOptions extends RateLimitConfig {
  /** Milliseconds; injected by tests. */
  now?: () => number;
  /** Clients tracked at once; beyond it full buckets are dropped, then the oldest. Default 100000. */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per client, in memory (per process: N replicas allow N times the rate). A client that
 * has been quiet long enough to refill is indistinguishable from a new one, so such buckets are dropped
 * whenever the table is full; under a flood of distinct addresses the oldest go too, which at worst
 * gives those clients a fresh burst.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly max: number;

  constructor(private readonly o: TokenBucketOptions) {
    this.now = o.now ?? Date.now;
    this.max = o.maxClients ?? 100_000;
  }

  /** Takes a token for `key`: 0 when the request may pass, else the seconds until a token is there. */
  take(key: string): number {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.max) this.prune(now);
      b = { tokens: this.o.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = this.level(b, now);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.o.perSecond;
  }

  get size(): number {
    return this.buckets.size;
  }

  private level(b: Bucket, now: number): number {
    return Math.min(this.o.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.o.perSecond);
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) if (this.level(b, now) >= this.o.burst) this.buckets.delete(key);
    const keep = Math.floor(this.max * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= keep) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The client a request is counted against: the IPv4 address, or the /64 of an IPv6 one (a single host
 * usually holds a whole /64, so counting addresses would let it rotate through them).
 */
export function clientKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const address = ip.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return `${[...left, ...zeros, ...right]
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/**
 * 429 problem+json with Retry-After (whole seconds) once a client has used its burst and its refill.
 * Probes and metrics (`exempt` paths) are never limited: a throttled probe would take a healthy pod out.
 */
export function rateLimit(o: TokenBucketOptions, exempt: ReadonlySet<string>): Middleware {
  const buckets = new TokenBuckets(o);
  return async (ctx, next) => {
    const wait = exempt.has(ctx.path) ? 0 : buckets.take(clientKey(ctx.ip));
    if (wait > 0) {
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(wait))));
      sendProblem(
        ctx,
        problemOf('rate_limited', 'Too many requests from this client; retry after Retry-After seconds.'),
      );
      return;
    }
    await next();
  };
}
