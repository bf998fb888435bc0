import { z } from 'zod';

/** Validated configuration of line-provider. Built once at start by {@link loadConfig}; tests use {@link buildConfig}. */
export interface Config {
  /** TCP port to listen on; 0 picks a free port. Env `LINE_PROVIDER_PORT`, default 50051. */
  readonly port: number;
  /** Address to bind. Env `LINE_PROVIDER_HOST`, default `0.0.0.0`. */
  readonly host: string;
  /** pino level. Env `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  /** Create a few demo events at start. Env `LINE_PROVIDER_SEED_DEMO` (true/false/1/0), default false. */
  readonly seedDemo: boolean;
  /** A watch stream that had nothing to send for this long gets a heartbeat. Env `LINE_PROVIDER_HEARTBEAT_MS`, default 5000. */
  readonly heartbeatMs: number;
  /**
   * Live changes a watcher may have waiting to be written; one more and it is ended with RESOURCE_EXHAUSTED.
   * Env `LINE_PROVIDER_WATCH_QUEUE_LIMIT`, default 10000.
   */
  readonly watchQueueLimit: number;
  /** Events per snapshot message. Env `LINE_PROVIDER_SNAPSHOT_CHUNK_SIZE`, default 500. */
  readonly snapshotChunkSize: number;
  /** Recent changes kept so that a reconnecting watcher can resume. Env `LINE_PROVIDER_CHANGE_RING_SIZE`, default 10000. */
  readonly changeRingSize: number;
  /** Server-side keepalive; see {@link KeepaliveConfig}. */
  readonly keepalive: KeepaliveConfig;
  /**
   * How long `stop()` waits for calls to finish before it closes every connection.
   * Env `LINE_PROVIDER_SHUTDOWN_GRACE_MS`, default 1000.
   */
  readonly shutdownGraceMs: number;
  /**
   * Directory of the journal (created if missing): every change is appended and fsynced there before it is
   * answered, and replayed at start. Undefined: memory only, nothing survives a restart.
   * Env `LINE_PROVIDER_DATA_DIR`, default unset.
   */
  readonly dataDir: string | undefined;
  /**
   * When set, CreateEvent, UpdateEvent and UpdateEventStatus require the metadata `authorization: Bearer <token>`.
   * Env `LINE_PROVIDER_ADMIN_TOKEN` (printable ASCII, no spaces), default unset: writes are open.
   */
  readonly adminToken: string | undefined;
  /**
   * When set, GetEvent, ListEvents and WatchEvents require this token or the admin token.
   * Env `LINE_PROVIDER_READ_TOKEN`, default unset: reads are open. Health and reflection are always open.
   */
  readonly readToken: string | undefined;
  /** TLS for the gRPC port; undefined: plaintext. See {@link TlsConfig}. */
  readonly tls: TlsConfig | undefined;
  /**
   * Port of the HTTP server of `GET /metrics` (Prometheus), on `host`; 0 picks a free port; null: no metrics
   * server. Env `LINE_PROVIDER_METRICS_PORT` (a port or `off`), default 9464.
   */
  readonly metricsPort: number | null;
}

/** PEM files for TLS; read when the server starts. */
export interface TlsConfig {
  /** Certificate chain of the server. Env `LINE_PROVIDER_TLS_CERT`; needs the key. */
  readonly certFile: string;
  /** Its private key. Env `LINE_PROVIDER_TLS_KEY`; needs the certificate. */
  readonly keyFile: string;
  /**
   * CA bundle for client certificates: when set, every client must present a certificate it signed (mutual TLS).
   * Env `LINE_PROVIDER_TLS_CLIENT_CA`, default unset; needs the certificate and key.
   */
  readonly clientCaFile: string | undefined;
}

/** Keepalive: without it a frozen peer is never noticed (STACK.md). */
export interface KeepaliveConfig {
  /** Ping every client connection this often. Env `LINE_PROVIDER_KEEPALIVE_TIME_MS`, default 10000. */
  readonly timeMs: number;
  /** Drop a connection whose ping is not answered within this. Env `LINE_PROVIDER_KEEPALIVE_TIMEOUT_MS`, default 5000. */
  readonly timeoutMs: number;
  /**
   * Shortest interval between client pings we accept on an idle connection; bet-maker pings about every 10 s.
   * Env `LINE_PROVIDER_KEEPALIVE_MIN_PING_MS`, default 5000.
   */
  readonly minPingIntervalMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

// The port Prometheus exporters conventionally take for Node services (OpenTelemetry's Prometheus exporter too).
const DEFAULT_METRICS_PORT = 9464;

/** Defaults of every setting: what {@link loadConfig} returns for an empty environment. */
export const defaultConfig: Config = {
  port: 50051,
  host: '0.0.0.0',
  logLevel: 'info',
  seedDemo: false,
  heartbeatMs: 5000,
  watchQueueLimit: 10_000,
  snapshotChunkSize: 500,
  changeRingSize: 10_000,
  keepalive: { timeMs: 10_000, timeoutMs: 5000, minPingIntervalMs: 5000 },
  shutdownGraceMs: 1000,
  dataDir: undefined,
  adminToken: undefined,
  readToken: undefined,
  tls: undefined,
  metricsPort: DEFAULT_METRICS_PORT,
};

/**
 * Config with some settings replaced; for tests and embedding. One difference from {@link defaultConfig}: the
 * metrics port defaults to 0 (a free port), because tests start many apps at once and a fixed port would collide.
 */
export function buildConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...defaultConfig,
    metricsPort: 0,
    ...overrides,
    keepalive: { ...defaultConfig.keepalive, ...overrides.keepalive },
  };
}

// Compose files often set a variable to an empty string to mean "unset".
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);
const int = (min: number, max: number, fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback));
const bool = (fallback: boolean) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  );

const optionalString = z.preprocess(unsetIfEmpty, z.string().optional());
const token = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as "Bearer <token>")')
    .optional(),
);

const d = defaultConfig;
const envSchema = z.object({
  LINE_PROVIDER_PORT: int(0, 65_535, d.port),
  LINE_PROVIDER_HOST: z.preprocess(unsetIfEmpty, z.string().default(d.host)),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(d.logLevel),
  ),
  LINE_PROVIDER_SEED_DEMO: bool(d.seedDemo),
  LINE_PROVIDER_HEARTBEAT_MS: int(10, 3_600_000, d.heartbeatMs),
  LINE_PROVIDER_WATCH_QUEUE_LIMIT: int(1, 10_000_000, d.watchQueueLimit),
  LINE_PROVIDER_SNAPSHOT_CHUNK_SIZE: int(1, 10_000, d.snapshotChunkSize),
  LINE_PROVIDER_CHANGE_RING_SIZE: int(0, 10_000_000, d.changeRingSize),
  LINE_PROVIDER_KEEPALIVE_TIME_MS: int(1000, 86_400_000, d.keepalive.timeMs),
  LINE_PROVIDER_KEEPALIVE_TIMEOUT_MS: int(100, 3_600_000, d.keepalive.timeoutMs),
  LINE_PROVIDER_KEEPALIVE_MIN_PING_MS: int(0, 3_600_000, d.keepalive.minPingIntervalMs),
  LINE_PROVIDER_SHUTDOWN_GRACE_MS: int(0, 60_000, d.shutdownGraceMs),
  LINE_PROVIDER_DATA_DIR: optionalString,
  LINE_PROVIDER_ADMIN_TOKEN: token,
  LINE_PROVIDER_READ_TOKEN: token,
  LINE_PROVIDER_TLS_CERT: optionalString,
  LINE_PROVIDER_TLS_KEY: optionalString,
  LINE_PROVIDER_TLS_CLIENT_CA: optionalString,
  LINE_PROVIDER_METRICS_PORT: z.preprocess(
    unsetIfEmpty,
    z.union([z.literal('off'), z.coerce.number().int().min(0).max(65_535)]).default(DEFAULT_METRICS_PORT),
  ),
});

/**
 * Rules between variables, checked on the raw environment so that they are reported together with any invalid
 * variable (zod skips refinements of an object that has invalid fields).
 */
function relationProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string): boolean => (env[name] ?? '') !== '';
  const problems: string[] = [];
  const cert = set('LINE_PROVIDER_TLS_CERT');
  const key = set('LINE_PROVIDER_TLS_KEY');
  if (cert && !key) problems.push('LINE_PROVIDER_TLS_KEY: is required when LINE_PROVIDER_TLS_CERT is set');
  if (key && !cert) problems.push('LINE_PROVIDER_TLS_CERT: is required when LINE_PROVIDER_TLS_KEY is set');
  if (set('LINE_PROVIDER_TLS_CLIENT_CA') && !(cert && key)) {
    problems.push('LINE_PROVIDER_TLS_CLIENT_CA: needs LINE_PROVIDER_TLS_CERT and LINE_PROVIDER_TLS_KEY too');
  }
  if (
    set('LINE_PROVIDER_READ_TOKEN') &&
    env['LINE_PROVIDER_READ_TOKEN'] === env['LINE_PROVIDER_ADMIN_TOKEN']
  ) {
    problems.push(
      'LINE_PROVIDER_READ_TOKEN: must differ from LINE_PROVIDER_ADMIN_TOKEN (readers could change events)',
    );
  }
  return problems;
}

/** Thrown by {@link loadConfig}; its message lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; throws {@link ConfigError} naming each invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...relationProblems(env),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.LINE_PROVIDER_PORT,
    host: e.LINE_PROVIDER_HOST,
    logLevel: e.LOG_LEVEL,
    seedDemo: e.LINE_PROVIDER_SEED_DEMO,
    heartbeatMs: e.LINE_PROVIDER_HEARTBEAT_MS,
    watchQueueLimit: e.LINE_PROVIDER_WATCH_QUEUE_LIMIT,
    snapshotChunkSize: e.LINE_PROVIDER_SNAPSHOT_CHUNK_SIZE,
    changeRingSize: e.LINE_PROVIDER_CHANGE_RING_SIZE,
    keepalive: {
      timeMs: e.LINE_PROVIDER_KEEPALIVE_TIME_MS,
      timeoutMs: e.LINE_PROVIDER_KEEPALIVE_TIMEOUT_MS,
      minPingIntervalMs: e.LINE_PROVIDER_KEEPALIVE_MIN_PING_MS,
    },
    shutdownGraceMs: e.LINE_PROVIDER_SHUTDOWN_GRACE_MS,
    dataDir: e.LINE_PROVIDER_DATA_DIR,
    adminToken: e.LINE_PROVIDER_ADMIN_TOKEN,
    readToken: e.LINE_PROVIDER_READ_TOKEN,
    tls:
      e.LINE_PROVIDER_TLS_CERT === undefined || e.LINE_PROVIDER_TLS_KEY === undefined
        ? undefined
        : {
            certFile: e.LINE_PROVIDER_TLS_CERT,
            keyFile: e.LINE_PROVIDER_TLS_KEY,
            clientCaFile: e.LINE_PROVIDER_TLS_CLIENT_CA,
          },
    metricsPort: e.LINE_PROVIDER_METRICS_PORT === 'off' ? null : e.LINE_PROVIDER_METRICS_PORT,
  };
}
