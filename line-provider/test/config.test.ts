import test from 'ava';

import { buildConfig, ConfigError, defaultConfig, loadConfig } from '../src/config.js';

test('when the environment is empty, then every default applies', (t) => {
  t.deepEqual(loadConfig({}), defaultConfig);
  t.like(defaultConfig, {
    port: 50051,
    host: '0.0.0.0',
    logLevel: 'info',
    seedDemo: false,
    heartbeatMs: 5000,
  });
});

test('when variables are set, then they are parsed; empty ones count as unset', (t) => {
  const config = loadConfig({
    LINE_PROVIDER_PORT: '0',
    LINE_PROVIDER_HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    LINE_PROVIDER_SEED_DEMO: 'true',
    LINE_PROVIDER_HEARTBEAT_MS: '250',
    LINE_PROVIDER_WATCH_QUEUE_LIMIT: '',
    LINE_PROVIDER_KEEPALIVE_TIME_MS: '2000',
  });

  t.like(config, { port: 0, host: '127.0.0.1', logLevel: 'debug', seedDemo: true, heartbeatMs: 250 });
  t.is(config.watchQueueLimit, defaultConfig.watchQueueLimit);
  t.deepEqual(config.keepalive, { ...defaultConfig.keepalive, timeMs: 2000 });
});

test('when variables are invalid, then one ConfigError names each of them', (t) => {
  const error = t.throws(
    () => loadConfig({ LINE_PROVIDER_PORT: '70000', LOG_LEVEL: 'loud', LINE_PROVIDER_SEED_DEMO: 'maybe' }),
    { instanceOf: ConfigError },
  );

  t.regex(error?.message ?? '', /LINE_PROVIDER_PORT: .*LOG_LEVEL: .*LINE_PROVIDER_SEED_DEMO: /);
});

test('when building a config for a test, then overrides replace defaults and keepalive merges', (t) => {
  const config = buildConfig({ port: 0, heartbeatMs: 50 });

  t.like(config, { port: 0, heartbeatMs: 50, host: defaultConfig.host });
  t.deepEqual(config.keepalive, defaultConfig.keepalive);
});

test('when the durability, token, TLS and metrics variables are set, then they are parsed', (t) => {
  const config = loadConfig({
    LINE_PROVIDER_DATA_DIR: '/var/lib/line-provider',
    LINE_PROVIDER_ADMIN_TOKEN: 'admin-token',
    LINE_PROVIDER_READ_TOKEN: 'read-token',
    LINE_PROVIDER_TLS_CERT: '/tls/server.crt',
    LINE_PROVIDER_TLS_KEY: '/tls/server.key',
    LINE_PROVIDER_TLS_CLIENT_CA: '/tls/ca.crt',
    LINE_PROVIDER_METRICS_PORT: '0',
  });

  t.like(config, {
    dataDir: '/var/lib/line-provider',
    adminToken: 'admin-token',
    readToken: 'read-token',
    metricsPort: 0,
  });
  t.deepEqual(config.tls, {
    certFile: '/tls/server.crt',
    keyFile: '/tls/server.key',
    clientCaFile: '/tls/ca.crt',
  });
});

test('when they are unset, then memory only, no token, plaintext and metrics on 9464', (t) => {
  t.like(loadConfig({ LINE_PROVIDER_DATA_DIR: '' }), {
    dataDir: undefined,
    adminToken: undefined,
    readToken: undefined,
    tls: undefined,
    metricsPort: 9464,
  });
});

test('when the metrics port is off, then there is no metrics server', (t) => {
  t.is(loadConfig({ LINE_PROVIDER_METRICS_PORT: 'off' }).metricsPort, null);
});

test('when building a config for a test, then metrics take a free port', (t) => {
  t.is(buildConfig().metricsPort, 0);
});

for (const [label, env, message] of [
  [
    'a TLS certificate without its key',
    { LINE_PROVIDER_TLS_CERT: '/c' },
    /LINE_PROVIDER_TLS_KEY: is required when LINE_PROVIDER_TLS_CERT is set/,
  ],
  [
    'a TLS key without its certificate',
    { LINE_PROVIDER_TLS_KEY: '/k' },
    /LINE_PROVIDER_TLS_CERT: is required when LINE_PROVIDER_TLS_KEY is set/,
  ],
  [
    'a client CA alone',
    { LINE_PROVIDER_TLS_CLIENT_CA: '/ca' },
    /LINE_PROVIDER_TLS_CLIENT_CA: needs LINE_PROVIDER_TLS_CERT and LINE_PROVIDER_TLS_KEY/,
  ],
  [
    'a token with a space',
    { LINE_PROVIDER_ADMIN_TOKEN: 'two words' },
    /LINE_PROVIDER_ADMIN_TOKEN: must be printable ASCII without spaces/,
  ],
  [
    'the same reader and admin token',
    { LINE_PROVIDER_ADMIN_TOKEN: 'same', LINE_PROVIDER_READ_TOKEN: 'same' },
    /LINE_PROVIDER_READ_TOKEN: must differ from LINE_PROVIDER_ADMIN_TOKEN/,
  ],
  ['a metrics port that is not a port', { LINE_PROVIDER_METRICS_PORT: 'on' }, /LINE_PROVIDER_METRICS_PORT: /],
  ['a metrics port out of range', { LINE_PROVIDER_METRICS_PORT: '70000' }, /LINE_PROVIDER_METRICS_PORT: /],
] as const) {
  test(`when the environment has ${label}, then a ConfigError names the variable`, (t) => {
    t.throws(() => loadConfig(env), { instanceOf: ConfigError, message });
  });
}

test('when a variable is invalid and two others conflict, then both problems are reported at once', (t) => {
  t.throws(() => loadConfig({ LINE_PROVIDER_PORT: 'x', LINE_PROVIDER_TLS_CERT: '/c' }), {
    message: /LINE_PROVIDER_PORT: .*; LINE_PROVIDER_TLS_KEY: is required/,
  });
});
