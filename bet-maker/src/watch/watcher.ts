import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { LineProviderServiceClient, WatchEventsResponse } from '../gen/lineprovider/v1/line_provider.js';
import type { Db } from '../db/sql.js';
import type { Metrics } from '../metrics.js';
import { backoffDelay, retryUntilDone, type BackoffOptions, type Clock } from './backoff.js';
import type { EventCache } from './event-cache.js';
import { EventMirror } from './mirror.js';
import { ProtocolError } from './mapping.js';
import { runSession, type Position } from './session.js';
import type { Settler } from './settler.js';
import { StreamReader, WatchdogError } from './stream-reader.js';

export interface WatcherOptions extends BackoffOptions {
  client: LineProviderServiceClient;
  db: Db;
  settler: Settler;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  idleTimeoutMs: number;
  /** Messages buffered before the stream is paused. */
  highWater?: number;
}

export type StreamState = 'disconnected' | 'connecting' | 'live';

interface WatcherEvents {
  synced: [];
  applied: [position: Position];
  state: [state: StreamState];
}

/**
 * Mirrors line-provider's events: connect, buffer and apply the snapshot, then live changes; on any error
 * or end reconnect with backoff, resuming from the last applied revision when possible. The database is
 * written first, then the cache; a failed write is retried until it succeeds, never skipped.
 * Emits `synced` once (first snapshot applied), `applied` after every write, `state` on transitions.
 */
export class Watcher extends EventEmitter<WatcherEvents> {
  private readonly mirror: EventMirror;
  private current: StreamReader<WatchEventsResponse> | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private stateNow: StreamState = 'disconnected';

  constructor(private readonly o: WatcherOptions) {
    super();
    this.mirror = new EventMirror({
      ...o,
      write: (fn) => this.write(fn),
      onApplied: (at, first) => {
        if (first) this.emit('synced');
        this.emit('applied', at);
      },
    });
  }

  /** The open events, for GET /events. */
  get cache(): EventCache {
    return this.mirror.cache;
  }

  /** True once the first snapshot has been applied (stays true across reconnects). */
  get synced(): boolean {
    return this.mirror.everSynced;
  }

  get state(): StreamState {
    return this.stateNow;
  }

  position(): Position | undefined {
    return this.mirror.position();
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Cancels the stream and waits for the loop (and any write in progress) to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.current?.cancel();
    await this.running;
    this.setState('disconnected');
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      this.setState('connecting');
      const call = this.o.client.watchEvents({
        resumeInstanceId: this.position()?.instanceId ?? '',
        resumeRevision: (this.position()?.revision ?? 0n).toString(),
        maxChangesPerMessage: 0,
      });
      const reader = new StreamReader(call, this.o.highWater ?? 10_000, this.o.idleTimeoutMs);
      this.current = reader;
      let reason = 'end';
      try {
        await runSession(reader, {
          position: () => this.mirror.position(),
          applySnapshot: (i, r, e) => this.mirror.applySnapshot(i, r, e),
          applyChanges: (c) => this.mirror.applyChanges(c),
          live: () => {
            attempt = 0;
            this.setState('live');
          },
        });
      } catch (err) {
        reason = this.classify(err);
      } finally {
        reader.cancel();
        this.current = undefined;
      }
      if (this.abort.signal.aborted) break;
      this.setState('disconnected');
      this.o.metrics.reconnects.inc({ reason });
      const ms = backoffDelay(attempt++, this.o, this.o.clock.random);
      this.o.logger.warn(
        { reason, retryInMs: ms, resumeFrom: this.position()?.revision.toString() },
        'event stream lost',
      );
      await this.o.clock.sleep(ms, this.abort.signal);
    }
  }

  /** Names the failure for logs and metrics; a broken stream forgets its position to force a snapshot. */
  private classify(err: unknown): string {
    if (this.abort.signal.aborted) return 'stopped';
    if (err instanceof ProtocolError) {
      this.o.logger.warn({ err: err.message }, 'event stream out of order; resyncing from a snapshot');
      this.mirror.forget();
      return err.name === 'GapError' ? 'gap' : 'protocol';
    }
    if (err instanceof WatchdogError) return 'watchdog';
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return (GrpcStatus[code] ?? String(code)).toLowerCase();
    this.o.logger.error({ err }, 'event stream failed');
    return 'error';
  }

  private write<T>(fn: () => Promise<T>): Promise<T> {
    return retryUntilDone(fn, {
      ...this.o,
      minMs: this.o.minMs,
      maxMs: this.o.maxMs,
      signal: this.abort.signal,
      onError: (err, attempt) => {
        this.o.metrics.applyRetries.inc();
        this.o.logger.warn({ err, attempt }, 'applying events to the database failed; retrying');
      },
    });
  }

  private setState(s: StreamState): void {
    if (s === this.stateNow) return;
    this.stateNow = s;
    this.o.metrics.streamState.set(s === 'live' ? 2 : s === 'connecting' ? 1 : 0);
    this.emit('state', s);
  }
}
