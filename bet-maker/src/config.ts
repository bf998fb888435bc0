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
 * | SETTLEMENT_BATCH_SIZE | 5000 | bets settled per keyset batch (one transaction each; see BENCHMARKS.md, optimisations 11 and 14) |
 * | SWEEPER_INTERVAL_MS | 30000 | how often every finished event is checked for pending bets |
 * | SHUTDOWN_TIMEOUT_MS | 10000 | how long stop() waits for in-flight requests |
 * | LINE_PROVIDER_READ_TOKEN | unset | sent as `authorization: Bearer <token>` on every call to line-provider |
 * | LINE_PROVIDER_TLS_CA | unset | CA file (PEM) to trust for line-provider; setting it switches the channel to TLS |
 * | LINE_PROVIDER_TLS_CERT / LINE_PROVIDER_TLS_KEY | unset | client certificate and key (PEM) for mutual TLS |
 * | LINE_PROVIDER_TLS_SERVER_NAME | unset | name to verify in line-provider's certificate instead of the target host |
 * | RATE_LIMIT_PER_SECOND | 0 (off) | requests per second per client IP (token bucket; probes are exempt) |
 * | RATE_LIMIT_BURST | RATE_LIMIT_PER_SECOND, at least 1 | bucket size: requests a client may send at once |
 * | TRUST_PROXY | false | take the client IP from the last X-Forwarded-For hop (only behind a proxy that sets it) |
 * | CURSOR_SECRET | random per process | key of the encrypted GET /bets cursors; replicas must share it |
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
  LINE_PROVIDER_READ_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{1,4096}$/, 'printable ASCII without spaces (it goes into a header)')
    .optional(),
  LINE_PROVIDER_TLS_CA: z.string().min(1).optional(),
  LINE_PROVIDER_TLS_CERT: z.string().min(1).optional(),
  LINE_PROVIDER_TLS_KEY: z.string().min(1).optional(),
  LINE_PROVIDER_TLS_SERVER_NAME: z.string().min(1).optional(),
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(0),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  TRUST_PROXY: z.enum(['true', 'false', '1', '0']).default('false'),
  CURSOR_SECRET: z.string().min(16, 'at least 16 characters').optional(),
});

/** Where and how to reach line-provider over TLS (file paths; the files are read at start). */
export interface LineProviderTls {
  /** CA certificate(s) to trust, PEM. */
  caFile: string;
  /** Client certificate and key for mutual TLS, PEM; both or neither. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Overrides the host name checked against the server certificate. */
  serverName?: string | undefined;
}

/** Per-client-IP token bucket; off when perSecond is 0. */
export interface RateLimitConfig {
  perSecond: number;
  burst: number;
}

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
  /** Bearer token for line-provider's reader RPCs; unset sends none. */
  lineProviderReadToken?: string | undefined;
  /** Unset: plaintext to line-provider. */
  lineProviderTls?: LineProviderTls | undefined;
  /** Unset or perSecond 0: no rate limit. */
  rateLimit?: RateLimitConfig | undefined;
  /** Honour X-Forwarded-For (last hop only). Default false. */
  trustProxy?: boolean | undefined;
  /** Key material for GET /bets cursors; unset: a random key per process. */
  cursorSecret?: string | undefined;
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
  if ((e.LINE_PROVIDER_TLS_CERT === undefined) !== (e.LINE_PROVIDER_TLS_KEY === undefined)) {
    throw new Error(
      'invalid configuration: set both LINE_PROVIDER_TLS_CERT and LINE_PROVIDER_TLS_KEY, or neither',
    );
  }
  const tlsOnly = [e.LINE_PROVIDER_TLS_CERT, e.LINE_PROVIDER_TLS_SERVER_NAME].some((v) => v !== undefined);
  if (tlsOnly && e.LINE_PROVIDER_TLS_CA === undefined) {
    throw new Error(
      'invalid configuration: LINE_PROVIDER_TLS_CERT/KEY/SERVER_NAME need LINE_PROVIDER_TLS_CA',
    );
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
    lineProviderReadToken: e.LINE_PROVIDER_READ_TOKEN,
    lineProviderTls:
      e.LINE_PROVIDER_TLS_CA === undefined
        ? undefined
        : {
            caFile: e.LINE_PROVIDER_TLS_CA,
            certFile: e.LINE_PROVIDER_TLS_CERT,
            keyFile: e.LINE_PROVIDER_TLS_KEY,
            serverName: e.LINE_PROVIDER_TLS_SERVER_NAME,
          },
    rateLimit: {
      perSecond: e.RATE_LIMIT_PER_SECOND,
      burst: e.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(e.RATE_LIMIT_PER_SECOND)),
    },
    trustProxy: e.TRUST_PROXY === 'true' || e.TRUST_PROXY === '1',
    cursorSecret: e.CURSOR_SECRET,
  };
}
