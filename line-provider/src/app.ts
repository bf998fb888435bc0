import type { ServerCredentials } from '@grpc/grpc-js';
import { Server, status as Status } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { Config } from './config.js';
import { LineProviderServiceService } from './gen/lineprovider/v1/line_provider.js';
import { AccessControl } from './grpc/access.js';
import { serverCredentials } from './grpc/credentials.js';
import { addReflection } from './grpc/reflection.js';
import { serverOptions } from './grpc/server-options.js';
import { createLineProviderService } from './grpc/service.js';
import { withPrebuiltWatchEncoding } from './grpc/change-encoding.js';
import { WatchRegistry } from './grpc/watch-registry.js';
import { MetricsServer } from './metrics/http-server.js';
import type { LineProviderMetrics } from './metrics/metrics.js';
import { createMetrics } from './metrics/metrics.js';
import { EventStore } from './store/event-store.js';
import type { FileJournal, FileJournalOptions } from './store/file-journal/file-journal.js';
import { openFileJournal } from './store/file-journal/open.js';

export { EventStore } from './store/event-store.js';
export type { WatchMetrics } from './grpc/watch-registry.js';

/** The fully qualified service name, as health checks and reflection know it. */
export const SERVICE_NAME = 'lineprovider.v1.LineProviderService';

/** Optional collaborators; each has a default built from the config. */
export interface AppDeps {
  /** Default: pino at `config.logLevel`, JSON to stdout. */
  readonly logger?: Logger;
  /** Default: an empty in-memory store with `config.changeRingSize`. */
  readonly store?: EventStore;
  /** Journal settings when `config.dataDir` is set (a file system, compaction thresholds); default FileJournal's. */
  readonly journal?: Omit<FileJournalOptions, 'observer'>;
}

/** A line-provider that is not listening until `start()`. */
export interface App {
  /** The events; tests and the demo seed call its mutation methods directly. */
  readonly store: EventStore;
  /** Random per process: tells watchers the memory was replaced (even when the journal restored it). */
  readonly instanceId: string;
  /** The open watch streams: `metrics`, and a 'closed' event per stream. */
  readonly watchers: WatchRegistry;
  /** Every metric, in this app's own registry. */
  readonly metrics: LineProviderMetrics;
  /** The bound port once `start()` resolved. */
  readonly port: number | undefined;
  /** The bound port of `GET /metrics` once `start()` resolved; undefined when `config.metricsPort` is null. */
  readonly metricsPort: number | undefined;
  /**
   * Replays the journal when `config.dataDir` is set, binds the metrics port and `config.host:config.port` (0
   * picks a free port), then reports SERVING. Rejects (having released what it took) when any step fails.
   */
  start(): Promise<{ port: number }>;
  /**
   * Reports NOT_SERVING, ends every watch stream with UNAVAILABLE, then waits up to `config.shutdownGraceMs` for
   * calls to finish before closing every connection; then closes the metrics server and the journal. Safe to call
   * more than once.
   */
  stop(): Promise<void>;
}

/** Composition root: builds the server with its services from the config; listens only on `start()`. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? pino({ level: config.logLevel });
  const store = deps.store ?? new EventStore({ changeRingSize: config.changeRingSize });
  const metrics = createMetrics({
    eventsByStatus: () => store.countByStatus(),
    revision: () => store.revision,
    watchers: () => ({
      ...watchers.metrics,
      currentQueueDepth: watchers.currentQueueDepth,
      flushIntervalMs: watchers.flushIntervalMs,
    }),
  });
  const watchers = new WatchRegistry(
    store,
    {
      heartbeatMs: config.heartbeatMs,
      queueLimit: config.watchQueueLimit,
      chunkSize: config.snapshotChunkSize,
    },
    logger,
    metrics.watch,
  );
  const access = new AccessControl(config);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  const server = new Server(serverOptions(config.keepalive));
  server.addService(
    withPrebuiltWatchEncoding(LineProviderServiceService),
    createLineProviderService({ store, watchers, logger, access, metrics }),
  );
  health.addToServer(server);
  addReflection(server);
  const metricsServer = config.metricsPort === null ? undefined : new MetricsServer(metrics.registry, logger);

  const setHealth = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  };
  let boundPort: number | undefined;
  let boundMetricsPort: number | undefined;
  let journal: FileJournal | undefined;
  let stopping: Promise<void> | undefined;

  const restore = async (dataDir: string): Promise<void> => {
    const opened = await openFileJournal(dataDir, logger, { ...deps.journal, observer: metrics.journal });
    journal = opened.journal;
    store.restore(opened, opened.journal);
    logger.info({ dataDir, events: opened.records.length, revision: opened.revision }, 'journal replayed');
  };

  const shutdown = async (): Promise<void> => {
    setHealth('NOT_SERVING');
    // tryShutdown waits for every open call, and a watch never ends by itself.
    watchers.endAll(Status.UNAVAILABLE, 'line-provider is shutting down; reconnect');
    const started = performance.now();
    const graceful = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve(false);
      }, config.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    await metricsServer?.close();
    // Last: every call that could append has ended.
    await journal?.close();
    logger.info({ graceful, ms: Math.round(performance.now() - started) }, 'line-provider stopped');
  };

  return {
    store,
    instanceId: store.instanceId,
    watchers,
    metrics,
    get port() {
      return boundPort;
    },
    get metricsPort() {
      return boundMetricsPort;
    },
    async start() {
      try {
        if (config.dataDir !== undefined) await restore(config.dataDir);
        if (metricsServer !== undefined && config.metricsPort !== null) {
          boundMetricsPort = await metricsServer.listen(config.host, config.metricsPort);
        }
        boundPort = await bind(server, config.host, config.port, serverCredentials(config.tls));
      } catch (error) {
        await metricsServer?.close();
        await journal?.close();
        throw error;
      }
      setHealth('SERVING');
      logger.info(
        {
          host: config.host,
          port: boundPort,
          metricsPort: boundMetricsPort,
          instanceId: store.instanceId,
          tls: config.tls === undefined ? 'off' : config.tls.clientCaFile === undefined ? 'on' : 'mutual',
          tokenRequired: access.protects,
          durable: config.dataDir !== undefined,
        },
        'line-provider listening',
      );
      return { port: boundPort };
    },
    stop() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}

function bind(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  // An IPv6 literal needs brackets in a host:port address.
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, boundPort) => {
      if (error === null) resolve(boundPort);
      else reject(error);
    });
  });
}
