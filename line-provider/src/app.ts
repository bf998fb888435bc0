import { Server, ServerCredentials, status as Status } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { Config } from './config.js';
import { LineProviderServiceService } from './gen/lineprovider/v1/line_provider.js';
import { addReflection } from './grpc/reflection.js';
import { serverOptions } from './grpc/server-options.js';
import { createLineProviderService } from './grpc/service.js';
import { WatchRegistry } from './grpc/watch-registry.js';
import { EventStore } from './store/event-store.js';

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
}

/** A line-provider that is not listening until `start()`. */
export interface App {
  /** The events; tests and the demo seed call its mutation methods directly. */
  readonly store: EventStore;
  /** Random per process: tells watchers the memory was replaced. */
  readonly instanceId: string;
  /** The open watch streams: `metrics`, and a 'closed' event per stream. */
  readonly watchers: WatchRegistry;
  /** The bound port once `start()` resolved. */
  readonly port: number | undefined;
  /** Binds `config.host:config.port` (0 picks a free port) and reports SERVING. */
  start(): Promise<{ port: number }>;
  /**
   * Reports NOT_SERVING, ends every watch stream with UNAVAILABLE, then waits up to `config.shutdownGraceMs` for
   * calls to finish before closing every connection. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/** Composition root: builds the server with its services from the config; listens only on `start()`. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? pino({ level: config.logLevel });
  const store = deps.store ?? new EventStore({ changeRingSize: config.changeRingSize });
  const watchers = new WatchRegistry(
    store,
    {
      heartbeatMs: config.heartbeatMs,
      queueLimit: config.watchQueueLimit,
      chunkSize: config.snapshotChunkSize,
    },
    logger,
  );
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  const server = new Server(serverOptions(config.keepalive));
  server.addService(LineProviderServiceService, createLineProviderService({ store, watchers, logger }));
  health.addToServer(server);
  addReflection(server);

  const setHealth = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  };
  let boundPort: number | undefined;
  let stopping: Promise<void> | undefined;

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
    logger.info({ graceful, ms: Math.round(performance.now() - started) }, 'line-provider stopped');
  };

  return {
    store,
    instanceId: store.instanceId,
    watchers,
    get port() {
      return boundPort;
    },
    async start() {
      boundPort = await bind(server, config.host, config.port);
      setHealth('SERVING');
      logger.info(
        { host: config.host, port: boundPort, instanceId: store.instanceId },
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

function bind(server: Server, host: string, port: number): Promise<number> {
  // An IPv6 literal needs brackets in a host:port address.
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error === null) resolve(boundPort);
      else reject(error);
    });
  });
}
