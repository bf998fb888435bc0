import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/**
 * bet-maker's configuration, read from the environment once at start (fail fast on anything invalid).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | PORT | 8001 | HTTP port (0 picks a free one) |
 * | HOST | 0.0.0.0 | HTTP bind address |
 * | DATABASE_URL | unset | PostgreSQL URL; unset: main.ts starts an embedded PostgreSQL |
 * | BET_MAKER_DATA_DIR | ./.data | where the embedded PostgreSQL keeps its data (`<dir>/pg`) |
 * | EMBEDDED_PG_PORT | 0 | port of the embedded PostgreSQL (0: a free one) |
 * | DB_POOL_SIZE | 10 | maximum connections in the pool |
 * | LINE_PROVIDER_URL | 127.0.0.1:50051 | line-provider gRPC target |
 * | LOG_LEVEL | info | pino level |
 * | WATCH_IDLE_TIMEOUT_MS | 15000 | watchdog: cancel the stream after this long without any message |
 * | WATCH_BACKOFF_MIN_MS / WATCH_BACKOFF_MAX_MS | 100 / 10000 | reconnect backoff (full jitter) |
 * | GRPC_KEEPALIVE_TIME_MS / GRPC_KEEPALIVE_TIMEOUT_MS | 10000 / 5000 | gRPC keepalive pings |
 * | SETTLEMENT_BATCH_SIZE | 5000 | bets settled per keyset batch |
 * | SWEEPER_INTERVAL_MS | 30000 | how often every finished event is checked for pending bets |
 * | SHUTDOWN_TIMEOUT_MS | 10000 | how long stop() waits for in-flight requests |
 */
export const configSchema = z.object({
  PORT: int(8001).pipe(z.number().max(65535)),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  BET_MAKER_DATA_DIR: z.string().min(1).default('./.data'),
  EMBEDDED_PG_PORT: int(0).pipe(z.number().max(65535)),
  DB_POOL_SIZE: int(10, 1),
  LINE_PROVIDER_URL: z.string().min(1).default('127.0.0.1:50051'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WATCH_IDLE_TIMEOUT_MS: int(15_000, 1),
  WATCH_BACKOFF_MIN_MS: int(100, 1),
  WATCH_BACKOFF_MAX_MS: int(10_000, 1),
  GRPC_KEEPALIVE_TIME_MS: int(10_000, 1),
  GRPC_KEEPALIVE_TIMEOUT_MS: int(5_000, 1),
  SETTLEMENT_BATCH_SIZE: int(5_000, 1),
  SWEEPER_INTERVAL_MS: int(30_000, 1),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 1),
});

/** Validated configuration; tests build it directly (see `testConfig` in the test helpers). */
export interface Config {
  port: number;
  host: string;
  /** Required by createApp; main.ts fills it from the embedded PostgreSQL when the env has none. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  lineProviderUrl: string;
  logLevel: string;
  watchIdleTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  settlementBatchSize: number;
  sweeperIntervalMs: number;
  shutdownTimeoutMs: number;
}

/** Parses the environment; throws one error that lists every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // An empty variable counts as unset, as in most shells' `VAR= cmd` idiom.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.WATCH_BACKOFF_MAX_MS < e.WATCH_BACKOFF_MIN_MS) {
    throw new Error('invalid configuration: WATCH_BACKOFF_MAX_MS must be >= WATCH_BACKOFF_MIN_MS');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.BET_MAKER_DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    dbPoolSize: e.DB_POOL_SIZE,
    lineProviderUrl: e.LINE_PROVIDER_URL,
    logLevel: e.LOG_LEVEL,
    watchIdleTimeoutMs: e.WATCH_IDLE_TIMEOUT_MS,
    backoffMinMs: e.WATCH_BACKOFF_MIN_MS,
    backoffMaxMs: e.WATCH_BACKOFF_MAX_MS,
    keepaliveTimeMs: e.GRPC_KEEPALIVE_TIME_MS,
    keepaliveTimeoutMs: e.GRPC_KEEPALIVE_TIMEOUT_MS,
    settlementBatchSize: e.SETTLEMENT_BATCH_SIZE,
    sweeperIntervalMs: e.SWEEPER_INTERVAL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
