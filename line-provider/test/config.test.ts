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
