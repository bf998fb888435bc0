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
  /** Events (changes, snapshot events) buffered before the stream is paused; default 10,000. */
  highWater?: number;
}

/**
 * Changes per stream message we accept (the provider caps it at 256): under load a batch costs both sides
 * one message instead of hundreds; the session checks every revision in it as if each came alone.
 */
const MAX_CHANGES_PER_MESSAGE = 256;

/** What a message weighs in the read buffer: the events it carries (at least 1). */
const eventsIn = ({ kind }: WatchEventsResponse): number =>
  kind?.$case === 'changes' || kind?.$case === 'snapshotChunk' ? Math.max(1, kind.value.events.length) : 1;

export type StreamState = 'disconnected' | 'connecting' | 'live';

interface WatcherEvents {
  synced: [];
  applied: [position: Position];
  state: [state: StreamState];
}

/**
 * Mirrors line-provider's events: connect, apply the snapshot as it arrives (committed at its end), then
 * live changes; on any error or end reconnect with backoff, resuming from the last applied revision when
 * possible. The database is written first, then the cache; a failed write is retried until it succeeds,
 * never skipped.
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
      write: (fn, signal) => this.write(fn, signal),
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
        maxChangesPerMessage: MAX_CHANGES_PER_MESSAGE,
      });
      const reader = new StreamReader(call, this.o.highWater ?? 10_000, this.o.idleTimeoutMs, eventsIn);
      this.current = reader;
      let reason = 'end';
      try {
        await runSession(reader, {
          position: () => this.mirror.position(),
          beginSnapshot: (i, r) => this.mirror.beginSnapshot(i, r),
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

  /** Retries `fn` until it succeeds, the watcher stops, or `signal` (the caller's) aborts. */
  private write<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retryUntilDone(fn, {
      ...this.o,
      minMs: this.o.minMs,
      maxMs: this.o.maxMs,
      signal: signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]),
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
