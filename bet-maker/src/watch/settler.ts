import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { outcomeOf, type EventStatus } from '../domain/bet.js';
import type { Db } from '../db/sql.js';
import { finishedWithPendingWork, markSettled, settleBatch } from '../db/settlement-repo.js';
import type { Metrics } from '../metrics.js';
import { backoffDelay, type BackoffOptions, type Clock } from './backoff.js';

export interface SettlerOptions extends BackoffOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  batchSize: number;
  sweeperIntervalMs: number;
}

/**
 * Turns the pending bets of finished events into WON/LOST, set-based, in keyset batches. Edge-triggered
 * by the watcher (`enqueue` right after a finish is applied) and level-triggered by a periodic sweep of
 * every finished event with pending bets, which also repairs anything a crash or another replica left
 * behind. Every write is idempotent and SKIP LOCKED splits work between replicas, so no leader is needed.
 * Emits `settled` (eventId, count) after each event.
 */
export class Settler extends EventEmitter<{ settled: [eventId: string, count: number] }> {
  private readonly queue = new Map<string, EventStatus>();
  /** When each finish arrived from the stream (performance.now()), for the settlement-lag histogram. */
  private readonly finishedAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loops: Promise<void>[] = [];

  constructor(private readonly o: SettlerOptions) {
    super();
  }

  /** Starts the worker and the periodic sweeper (the first sweep runs now). */
  start(): void {
    this.loops = [this.work(), this.sweepLoop()];
  }

  /** Lets the current batch finish, then stops; whatever is left is settled by the next sweep. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await Promise.all(this.loops);
  }

  /** Settles an event soon (deduplicated). */
  enqueue(eventId: string, status: EventStatus): void {
    if (outcomeOf(status) === undefined || this.abort.signal.aborted) return;
    if (!this.finishedAt.has(eventId)) this.finishedAt.set(eventId, performance.now());
    this.queue.set(eventId, status);
    this.wake?.();
  }

  /** Settles every finished event that still has pending bets; returns the number of bets settled. */
  async sweep(): Promise<number> {
    let total = 0;
    for (const e of await finishedWithPendingWork(this.o.db)) {
      if (this.abort.signal.aborted) break;
      total += await this.settleEvent(e.id, e.status);
    }
    return total;
  }

  /** Settles one finished event in keyset batches, then marks it settled. */
  async settleEvent(eventId: string, status: EventStatus): Promise<number> {
    const outcome = outcomeOf(status);
    if (outcome === undefined) return 0;
    let total = 0;
    let after = '0';
    for (;;) {
      const { count, lastId } = await settleBatch(this.o.db, eventId, outcome, after, this.o.batchSize);
      total += count;
      this.o.metrics.betsSettled.inc({ outcome }, count);
      if (count < this.o.batchSize || lastId === null || this.abort.signal.aborted) break;
      after = lastId;
    }
    await markSettled(this.o.db, eventId);
    const since = this.finishedAt.get(eventId);
    if (since !== undefined) {
      this.finishedAt.delete(eventId);
      this.o.metrics.settlementLag.observe((performance.now() - since) / 1000);
    }
    if (total > 0) this.o.logger.info({ eventId, outcome, bets: total }, 'bets settled');
    this.emit('settled', eventId, total);
    return total;
  }

  private async work(): Promise<void> {
    const failures = new Map<string, number>();
    while (!this.abort.signal.aborted) {
      const next = this.queue.entries().next();
      if (next.done === true) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const [eventId, status] = next.value;
      this.queue.delete(eventId);
      try {
        await this.settleEvent(eventId, status);
        failures.delete(eventId);
      } catch (err) {
        const attempt = failures.get(eventId) ?? 0;
        failures.set(eventId, attempt + 1);
        this.o.logger.warn({ err, eventId, attempt }, 'settlement failed; will retry');
        const ms = Math.max(this.o.minMs, backoffDelay(attempt, this.o, this.o.clock.random));
        void this.o.clock.sleep(ms, this.abort.signal).then(() => this.enqueue(eventId, status));
      }
    }
  }

  private async sweepLoop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const n = await this.sweep();
        if (n > 0) this.o.logger.info({ bets: n }, 'sweeper settled bets');
      } catch (err) {
        this.o.logger.warn({ err }, 'sweep failed; will run again');
      }
      await this.o.clock.sleep(this.o.sweeperIntervalMs, this.abort.signal);
    }
  }
}
