import { EventEmitter } from 'node:events';

import type { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { EventStore } from '../store/event-store.js';
import type { ResumePoint } from '../store/watch-types.js';
import type { CloseReason, WatchCall, WatchSessionOptions } from './watch-session.js';
import { WatchSession } from './watch-session.js';

/** Counters of the watch streams, for tests and (later) metrics. */
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

  constructor(
    private readonly store: EventStore,
    private readonly options: WatchSessionOptions,
    private readonly logger: Logger,
  ) {
    super();
  }

  get metrics(): WatchMetrics {
    return {
      active: this.sessions.size,
      opened: this.openedCount,
      dropped: this.droppedCount,
      maxQueueDepth: this.maxDepth,
    };
  }

  /** Serves one WatchEvents call until it ends. */
  serve(call: WatchCall, resume: ResumePoint | undefined): void {
    const session = new WatchSession(call, this.store, this.options, this.logger, {
      onQueueDepth: (depth) => {
        this.maxDepth = Math.max(this.maxDepth, depth);
      },
      onClose: (closed, reason) => this.onClose(closed, reason, call.getPeer()),
    });
    this.sessions.add(session);
    this.openedCount += 1;
    void session.run(resume);
  }

  /** Ends every open stream with `code` (UNAVAILABLE at shutdown: tryShutdown waits for open streams forever). */
  endAll(code: Status, details: string): void {
    for (const session of this.sessions) session.end(code, details, 'shutdown');
  }

  private onClose(session: WatchSession, reason: CloseReason, peer: string): void {
    this.sessions.delete(session);
    if (reason === 'overflow') {
      this.droppedCount += 1;
      this.logger.warn({ peer, queueLimit: this.options.queueLimit }, 'watcher dropped: too slow');
    } else {
      this.logger.debug({ peer, reason }, 'watch closed');
    }
    this.emit('closed', { reason });
  }
}
