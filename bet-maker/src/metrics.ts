import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric bet-maker exports, on a registry of its own (several apps may share a test process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    betsPlaced: new Counter({ name: 'betmaker_bets_placed_total', help: 'Bets accepted', registers }),
    betsRefused: new Counter({
      name: 'betmaker_bets_refused_total',
      help: 'Bets refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    betsSettled: new Counter({
      name: 'betmaker_bets_settled_total',
      help: 'Bets settled by this process, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'betmaker_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    streamState: new Gauge({
      name: 'betmaker_watch_stream_state',
      help: 'Event stream: 0 disconnected, 1 connecting or in snapshot, 2 live',
      registers,
    }),
    streamRevision: new Gauge({
      name: 'betmaker_watch_revision',
      help: 'Last provider revision applied',
      registers,
    }),
    reconnects: new Counter({
      name: 'betmaker_watch_reconnects_total',
      help: 'Event stream re-opened, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    applyRetries: new Counter({
      name: 'betmaker_watch_apply_retries_total',
      help: 'Database writes of event changes retried',
      registers,
    }),
    settlementLag: new Histogram({
      name: 'betmaker_settlement_lag_seconds',
      help: 'From a finish applied from the stream to the last of its bets settled',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    orphanedBets: new Gauge({
      name: 'betmaker_orphaned_bets',
      help: 'Pending bets whose event vanished from line-provider (never guessed; they wait)',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
