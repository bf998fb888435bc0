import { EventEmitter } from 'node:events';

import type { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { EventStore } from '../store/event-store.js';
import type { ResumePoint } from '../store/watch-types.js';
import type { CloseReason, WatchCall, WatchSessionOptions } from './watch-session.js';
import { ChangeEncoder } from './change-encoding.js';
import { FlushPacer } from './flush-pacer.js';
import { WatchSession } from './watch-session.js';

/** Counters of the watch streams, for tests; metrics count through a {@link WatchObserver}. */
export interface WatchMetrics {
  /** Streams open now. */
  readonly active: number;
  /** Streams opened since start. */
  readonly opened: number;
  /** Streams ended with RESOURCE_EXHAUSTED because their queue was full. */
  readonly dropped: number;
  /** The deepest any live queue has been; bounded by the queue limit. */
  readonly maxQueueDepth: number;
}

/** Notified of every stream's life, for metrics. */
export interface WatchObserver {
  opened(): void;
  closed(reason: CloseReason): void;
  /** `count` changes written to a stream in one message (replayed on resume, or live). */
  changesSent(count: number): void;
}

const NO_OBSERVER: WatchObserver = {
  opened: () => undefined,
  closed: () => undefined,
  changesSent: () => undefined,
};

/** Emitted once per stream when it ends, with why. */
export interface WatchRegistryEvents {
  closed: [{ readonly reason: CloseReason }];
}

/** Every open WatchEvents stream: so that shutdown can end them all, and so that their number is observable. */
export class WatchRegistry extends EventEmitter<WatchRegistryEvents> {
  private readonly sessions = new Set<WatchSession>();
  private openedCount = 0;
  private droppedCount = 0;
  private maxDepth = 0;
  /** Each change encoded once for every stream. */
  private readonly encoder = new ChangeEncoder();
  /** How long live changes wait to be written together, by how late the event loop runs. */
  private readonly pacer = new FlushPacer();

  constructor(
    private readonly store: EventStore,
    private readonly options: WatchSessionOptions,
    private readonly logger: Logger,
    private readonly observer: WatchObserver = NO_OBSERVER,
  ) {
    super();
  }

  /** The deepest queue of the open streams right now (how far behind the slowest watcher is). */
  get currentQueueDepth(): number {
    let deepest = 0;
    for (const session of this.sessions) deepest = Math.max(deepest, session.queueDepth);
    return deepest;
  }

  /** How long live changes wait now to be written together (FlushPacer). */
  get flushIntervalMs(): number {
    return this.pacer.intervalMs;
  }

  get metrics(): WatchMetrics {
    return {
      active: this.sessions.size,
      opened: this.openedCount,
      dropped: this.droppedCount,
      maxQueueDepth: this.maxDepth,
    };
  }

  /** Serves one WatchEvents call until it ends; `requestId` (the caller's x-request-id) goes into its log lines. */
  serve(call: WatchCall, resume: ResumePoint | undefined, requestId?: string): void {
    const logger = requestId === undefined ? this.logger : this.logger.child({ requestId });
    const session = new WatchSession(call, this.store, this.encoder, this.pacer, this.options, logger, {
      onQueueDepth: (depth) => {
        this.maxDepth = Math.max(this.maxDepth, depth);
      },
      onChangesSent: (count) => this.observer.changesSent(count),
      onClose: (closed, reason) => this.onClose(closed, reason, call.getPeer(), logger),
    });
    this.sessions.add(session);
    this.openedCount += 1;
    this.observer.opened();
    void session.run(resume);
  }

  /** Ends every open stream with `code` (UNAVAILABLE at shutdown: tryShutdown waits for open streams forever). */
  endAll(code: Status, details: string): void {
    for (const session of this.sessions) session.end(code, details, 'shutdown');
  }

  private onClose(session: WatchSession, reason: CloseReason, peer: string, logger: Logger): void {
    this.sessions.delete(session);
    this.observer.closed(reason);
    if (reason === 'overflow') {
      this.droppedCount += 1;
      logger.warn({ peer, queueLimit: this.options.queueLimit }, 'watcher dropped: too slow');
    } else {
      logger.debug({ peer, reason }, 'watch closed');
    }
    this.emit('closed', { reason });
  }
}
