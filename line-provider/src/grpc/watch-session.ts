import { once } from 'node:events';

import type { ServerWritableStream } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { EventRecord } from '../domain/event.js';
import type { WatchEventsRequest, WatchEventsResponse } from '../gen/lineprovider/v1/line_provider.js';
import type { EventStore } from '../store/event-store.js';
import type { ResumePoint, WatchStart } from '../store/watch-types.js';
import type { ChangeEncoder } from './change-encoding.js';
import type { FlushPacer } from './flush-pacer.js';
import { Fifo } from './fifo.js';
import { headerMessage, heartbeatMessage, snapshotEndMessage, snapshotMessages } from './watch-messages.js';

export type WatchCall = ServerWritableStream<WatchEventsRequest, WatchEventsResponse>;

/*
 * Live changes go out at most once per flush interval per stream (FlushPacer: 5 ms, longer while the event loop
 * runs late): the first change after a quiet spell at once, the ones that follow within the interval together at
 * its end. At 1,000 changes/s to 100 watchers, a burst of about 5 changes per stream every 5 ms instead of a
 * wake-up, a heartbeat timer and a socket write per change per stream; a client that takes several changes per
 * message gets each burst as one message (bench/, fan-out scenario).
 */
/** A burst goes at once when it reaches this many changes (or half the queue limit): waiting must never be what fills a queue. */
const MAX_BURST = 256;
/** The most changes in one `changes` message, whatever the client asks for. */
export const MAX_CHANGES_PER_MESSAGE = 256;

/** Why a watch stream ended: the client left, it could not keep up, the server is stopping, or a bug. */
export type CloseReason = 'cancelled' | 'overflow' | 'shutdown' | 'error';

/** Settings of one watch stream (from Config). */
export interface WatchSessionOptions {
  readonly heartbeatMs: number;
  readonly queueLimit: number;
  readonly chunkSize: number;
}

/** How a session reports to its registry. */
export interface WatchSessionHooks {
  onQueueDepth(depth: number): void;
  /** `count` changes were written (in one message). */
  onChangesSent(count: number): void;
  onClose(session: WatchSession, reason: CloseReason): void;
}

/**
 * One WatchEvents stream. The start (snapshot or missed changes) comes from `store.watch`, which registers the
 * session in the same synchronous step; live changes land in a bounded queue, and once the start is written one
 * flush at a time writes them in order, stopping whenever grpc-js says its buffer is full until it drains. A
 * session whose queue would exceed the limit is closed at once (unsubscribed, queue freed) and ended with
 * RESOURCE_EXHAUSTED.
 */
export class WatchSession {
  private readonly queue = new Fifo<EventRecord>();
  private readonly abort = new AbortController();
  private unsubscribe: () => void = () => undefined;
  private closed = false;
  /** The start is written: live changes go out from the queue (before, they only wait in it). */
  private live = false;
  /** grpc-js's buffer is full: nothing more is written until 'drain'. */
  private draining = false;
  /** A flush is queued as a microtask. */
  private scheduled = false;
  /** The revision the client has once it read everything written so far; what a heartbeat carries. */
  private writtenRevision = 0;
  /** performance.now() of the last burst of live writes; the timer of the next one and when it was due. */
  private lastFlush = Number.NEGATIVE_INFINITY;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushDue = 0;
  /** Fires heartbeatMs after the last write (refreshed by every write, never made again). */
  private heartbeat: NodeJS.Timeout | undefined;
  /*
   * The live path allocates no promise or closure per burst (only the pacer's timer, when a burst waits): at
   * 1,000 changes/s to 100 watchers the async pump it replaced (a promise, two closures and a timer per idle
   * spell, a promise per write) was 42% of what line-provider allocated, and every young-generation collection
   * stops every stream.
   */
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };
  private readonly onFlushTimer = (): void => {
    this.flushTimer = undefined;
    this.pacer.observe(performance.now() - this.flushDue);
    this.flush();
  };
  private readonly onDrain = (): void => {
    this.draining = false;
    this.flush();
  };
  // close() clears this timer, so it never fires on a closed session.
  private readonly onHeartbeat = (): void => {
    this.heartbeat?.refresh();
    if (this.draining || this.queue.length > 0) return;
    try {
      this.write(heartbeatMessage(this.writtenRevision));
    } catch (error) {
      this.failed(error);
    }
  };

  /** Changes per message: what the client asked for (max_changes_per_message), at least 1, at most 256. */
  private readonly perMessage: number;

  constructor(
    private readonly call: WatchCall,
    private readonly store: EventStore,
    private readonly encoder: ChangeEncoder,
    private readonly pacer: FlushPacer,
    private readonly options: WatchSessionOptions,
    private readonly logger: Logger,
    private readonly hooks: WatchSessionHooks,
  ) {
    this.perMessage = Math.max(1, Math.min(MAX_CHANGES_PER_MESSAGE, call.request.maxChangesPerMessage));
  }

  /** Live changes waiting to be written. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Subscribes and writes the start; live changes then go out as they come until the stream ends. Never rejects. */
  async run(resume: ResumePoint | undefined): Promise<void> {
    if (this.call.cancelled) {
      this.close('cancelled');
      return;
    }
    this.call.once('cancelled', () => this.close('cancelled'));
    try {
      const start = this.store.watch((change) => this.enqueue(change), resume);
      this.unsubscribe = start.unsubscribe;
      this.logger.debug(
        { kind: start.kind, revision: start.revision, peer: this.call.getPeer() },
        'watch opened',
      );
      await this.sendStart(start);
      // How many live changes piled up while the start was written: a measure of how slow the client is.
      this.logger.debug({ queued: this.queue.length }, 'watch start sent');
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.closed) return;
    this.live = true;
    this.heartbeat = setTimeout(this.onHeartbeat, this.options.heartbeatMs);
    this.flush();
  }

  /** Once closed, a failed write or an aborted wait is just the stream going away. */
  private failed(error: unknown): void {
    if (this.closed) return;
    this.logger.error({ err: error }, 'watch stream failed');
    this.end(Status.INTERNAL, 'internal error', 'error');
  }

  /** Ends the stream with a status (UNAVAILABLE at shutdown, RESOURCE_EXHAUSTED on overflow). */
  end(code: Status, details: string, reason: CloseReason): void {
    if (!this.close(reason)) return;
    // grpc-js's own 'error' listener turns this into the final status, after the messages already written.
    this.call.emit('error', Object.assign(new Error(details), { code, details }));
  }

  private enqueue(change: EventRecord): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.queueLimit) {
      this.end(
        Status.RESOURCE_EXHAUSTED,
        `watcher too slow: more than ${this.options.queueLimit} changes waiting; reconnect to resync`,
        'overflow',
      );
      return;
    }
    this.queue.push(change);
    this.hooks.onQueueDepth(this.queue.length);
    // Before the start is written, or while grpc-js drains, the change waits for the flush that follows.
    if (!this.live || this.draining || this.scheduled) return;
    const full = this.queue.length >= Math.min(MAX_BURST, this.options.queueLimit / 2);
    const due = this.lastFlush + this.pacer.intervalMs;
    if (full || due <= performance.now()) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      // Not within the store's notification: the other watchers and the caller's answer come first.
      this.scheduled = true;
      queueMicrotask(this.flushNow);
      return;
    }
    if (this.flushTimer !== undefined) return;
    this.flushDue = due;
    this.flushTimer = setTimeout(this.onFlushTimer, due - performance.now());
  }

  private async sendStart(start: WatchStart): Promise<void> {
    await this.send(headerMessage(this.store.instanceId, start));
    this.writtenRevision = start.revision;
    if (start.kind === 'resumed') {
      for (let i = 0; i < start.changes.length; i += this.perMessage) {
        await this.sendChanges(start.changes.slice(i, i + this.perMessage));
      }
      return;
    }
    for (const chunk of snapshotMessages(start.events, this.options.chunkSize)) await this.send(chunk);
    await this.send(snapshotEndMessage(start.revision));
  }

  /** Writes everything queued, perMessage changes a message, until the queue is empty or grpc-js is full. */
  private flush(): void {
    if (this.closed || this.draining) return;
    try {
      for (;;) {
        const changes = this.queue.take(this.perMessage);
        const last = changes.at(-1);
        if (last === undefined) return;
        this.lastFlush = performance.now();
        const more = this.write(this.encoder.batch(changes));
        this.sent(changes.length, last);
        if (!more) return;
      }
    } catch (error) {
      this.failed(error);
    }
  }

  /** One live message; false when grpc-js's buffer is full (the flush resumes at 'drain'). */
  private write(message: WatchEventsResponse): boolean {
    this.heartbeat?.refresh();
    if (this.call.write(message)) return true;
    this.draining = true;
    this.call.once('drain', this.onDrain);
    return false;
  }

  /** Consecutive changes in one message: `change` alone, `changes` together. */
  private async sendChanges(changes: readonly EventRecord[]): Promise<void> {
    const last = changes.at(-1);
    if (last === undefined) return;
    await this.send(this.encoder.batch(changes));
    this.sent(changes.length, last);
  }

  /** `count` changes up to `last` were written in one message. */
  private sent(count: number, last: EventRecord): void {
    this.writtenRevision = last.revision;
    this.hooks.onChangesSent(count);
  }

  private async send(message: WatchEventsResponse): Promise<void> {
    if (this.closed) throw new Error('watch closed');
    if (!this.call.write(message)) {
      await once(this.call, 'drain', { signal: this.abort.signal });
    }
  }

  /** Unsubscribes and frees the queue; false when already closed. */
  private close(reason: CloseReason): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.unsubscribe();
    this.queue.clear();
    clearTimeout(this.flushTimer);
    clearTimeout(this.heartbeat);
    this.call.off('drain', this.onDrain);
    this.abort.abort();
    this.hooks.onClose(this, reason);
    return true;
  }
}
