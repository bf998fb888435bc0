import type { status as Status } from '@grpc/grpc-js';
import { status as Statuses } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { EventStatus } from '../domain/event.js';
import type { RefusalReason } from '../grpc/access.js';
import { MAX_FLUSH_INTERVAL_MS, MIN_FLUSH_INTERVAL_MS } from '../grpc/flush-pacer.js';
import type { WatchMetrics, WatchObserver } from '../grpc/watch-registry.js';
import type { JournalObserver } from '../store/file-journal/file-journal.js';

/** What the gRPC edge reports. */
export interface RpcMetrics {
  /** A unary call ended with `code` after `seconds`. */
  rpcFinished(method: string, code: Status, seconds: number): void;
  authRefused(method: string, reason: RefusalReason): void;
}

/** Every metric of one app, in its own registry (several apps in one test process must not share one). */
export interface LineProviderMetrics extends RpcMetrics {
  readonly registry: Registry;
  readonly watch: WatchObserver;
  readonly journal: JournalObserver;
}

/** Where the gauges read their values at scrape time. */
export interface MetricSources {
  eventsByStatus(): Readonly<Record<EventStatus, number>>;
  revision(): number;
  watchers(): WatchMetrics & { readonly currentQueueDepth: number; readonly flushIntervalMs: number };
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** The metrics, all prefixed `line_provider_` (plus Node's default process metrics); README lists them. */
export function createMetrics(sources: MetricSources): LineProviderMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'line_provider_events',
    help: 'Events by status',
    labelNames: ['status'],
    registers,
    collect() {
      for (const [status, count] of Object.entries(sources.eventsByStatus())) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'line_provider_revision',
    help: 'Global revision: the number of changes since the store began',
    registers,
    collect() {
      this.set(sources.revision());
    },
  });
  new Gauge({
    name: 'line_provider_watchers',
    help: 'Open WatchEvents streams',
    registers,
    collect() {
      this.set(sources.watchers().active);
    },
  });
  new Gauge({
    name: 'line_provider_watch_queue_depth',
    help: 'Changes waiting to be written to the slowest open watch stream',
    registers,
    collect() {
      this.set(sources.watchers().currentQueueDepth);
    },
  });
  new Gauge({
    name: 'line_provider_watch_flush_interval_seconds',
    help: `How long live changes wait to be written to a stream together: ${MIN_FLUSH_INTERVAL_MS / 1000} while the event loop keeps up, up to ${MAX_FLUSH_INTERVAL_MS / 1000} while it runs late`,
    registers,
    collect() {
      this.set(sources.watchers().flushIntervalMs / 1000);
    },
  });
  new Gauge({
    name: 'line_provider_watch_queue_depth_max',
    help: 'Deepest any watch queue has been since start (bounded by LINE_PROVIDER_WATCH_QUEUE_LIMIT)',
    registers,
    collect() {
      this.set(sources.watchers().maxQueueDepth);
    },
  });

  const opened = new Counter({
    name: 'line_provider_watch_streams_opened_total',
    help: 'WatchEvents streams opened',
    registers,
  });
  const closed = new Counter({
    name: 'line_provider_watch_streams_closed_total',
    help: 'WatchEvents streams ended, by reason (cancelled, overflow, shutdown, error)',
    labelNames: ['reason'],
    registers,
  });
  const dropped = new Counter({
    name: 'line_provider_watchers_dropped_total',
    help: 'Watch streams ended with RESOURCE_EXHAUSTED because they could not keep up',
    registers,
  });
  const changesSent = new Counter({
    name: 'line_provider_watch_changes_sent_total',
    help: 'Changes written to watch streams (several may share one message)',
    registers,
  });
  const rpcs = new Counter({
    name: 'line_provider_rpc_total',
    help: 'Unary calls by method and status code',
    labelNames: ['method', 'code'],
    registers,
  });
  const rpcSeconds = new Histogram({
    name: 'line_provider_rpc_duration_seconds',
    help: 'Unary call latency by method',
    labelNames: ['method'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const refusals = new Counter({
    name: 'line_provider_auth_refusals_total',
    help: 'Calls refused for a missing or wrong token, by method and reason',
    labelNames: ['method', 'reason'],
    registers,
  });
  const appends = new Counter({
    name: 'line_provider_journal_appends_total',
    help: 'Changes made durable in the journal',
    registers,
  });
  const fsyncSeconds = new Histogram({
    name: 'line_provider_journal_fsync_seconds',
    help: 'Journal fdatasync latency (one per batch of changes)',
    buckets: FSYNC_BUCKETS,
    registers,
  });
  const batchLines = new Histogram({
    name: 'line_provider_journal_batch_size',
    help: 'Changes made durable by one fsync (group commit)',
    buckets: BATCH_BUCKETS,
    registers,
  });
  const journalFailures = new Counter({
    name: 'line_provider_journal_write_failures_total',
    help: 'Journal writes or fsyncs that failed (their changes were refused with UNAVAILABLE)',
    registers,
  });
  const compactions = new Counter({
    name: 'line_provider_journal_compactions_total',
    help: 'Journal compactions by result (ok, failed)',
    labelNames: ['result'],
    registers,
  });

  return {
    registry,
    rpcFinished: (method, code, seconds) => {
      rpcs.inc({ method, code: Statuses[code] });
      rpcSeconds.observe({ method }, seconds);
    },
    authRefused: (method, reason) => refusals.inc({ method, reason }),
    watch: {
      opened: () => opened.inc(),
      closed: (reason) => {
        closed.inc({ reason });
        if (reason === 'overflow') dropped.inc();
      },
      changesSent: (count) => changesSent.inc(count),
    },
    journal: {
      batchWritten: (lines, seconds) => {
        appends.inc(lines);
        fsyncSeconds.observe(seconds);
        batchLines.observe(lines);
      },
      writeFailed: () => journalFailures.inc(),
      compacted: (result) => compactions.inc({ result }),
    },
  };
}
