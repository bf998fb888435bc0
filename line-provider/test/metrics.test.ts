import test from 'ava';

import { EventStatus } from '../src/gen/lineprovider/v1/line_provider.js';
import { MAX_FLUSH_INTERVAL_MS, MIN_FLUSH_INTERVAL_MS } from '../src/grpc/flush-pacer.js';
import { buildCreate, metadataOf, rpc, startServer, StreamReader, watch } from './helpers.js';
import { capturingLogger, tempDataDir } from './journal-helpers.js';

async function scrape(
  port: number | undefined,
  path = '/metrics',
): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get('content-type') ?? '',
  };
}

/** The value of one sample, e.g. `valueOf(text, 'line_provider_events{status="NEW"}')`. */
function valueOf(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

test('when scraped, then /metrics reports events, revision, watchers, changes sent, RPCs and the journal', async (t) => {
  const { dir } = await tempDataDir(t);
  const { client, app } = await startServer(t, { dataDir: dir });
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();
  const a = await rpc.create(client, buildCreate());
  await rpc.create(client, buildCreate());
  await rpc.finish(client, { eventId: a.eventId, status: EventStatus.EVENT_STATUS_FINISHED_WIN });
  await t.throwsAsync(rpc.get(client, 'missing'));
  for (let i = 0; i < 3; i += 1) await reader.nextChange();

  const { status, text, type } = await scrape(app.metricsPort);

  t.is(status, 200);
  t.regex(type, /^text\/plain; version=0\.0\.4/);
  t.is(valueOf(text, 'line_provider_events{status="NEW"}'), 1);
  t.is(valueOf(text, 'line_provider_events{status="FINISHED_WIN"}'), 1);
  t.is(valueOf(text, 'line_provider_events{status="FINISHED_LOSE"}'), 0);
  t.is(valueOf(text, 'line_provider_revision'), 3);
  t.is(valueOf(text, 'line_provider_watchers'), 1);
  t.is(valueOf(text, 'line_provider_watch_streams_opened_total'), 1);
  t.is(valueOf(text, 'line_provider_watch_changes_sent_total'), 3);
  t.is(valueOf(text, 'line_provider_watch_queue_depth'), 0);
  t.true((valueOf(text, 'line_provider_watch_queue_depth_max') ?? 0) >= 1);
  const flushInterval = valueOf(text, 'line_provider_watch_flush_interval_seconds') ?? 0;
  t.true(
    flushInterval >= MIN_FLUSH_INTERVAL_MS / 1000 && flushInterval <= MAX_FLUSH_INTERVAL_MS / 1000,
    `flush interval ${flushInterval}`,
  );
  t.is(valueOf(text, 'line_provider_watchers_dropped_total'), 0);
  t.is(valueOf(text, 'line_provider_rpc_total{method="CreateEvent",code="OK"}'), 2);
  t.is(valueOf(text, 'line_provider_rpc_total{method="GetEvent",code="NOT_FOUND"}'), 1);
  t.is(valueOf(text, 'line_provider_rpc_duration_seconds_count{method="CreateEvent"}'), 2);
  t.is(valueOf(text, 'line_provider_journal_appends_total'), 3);
  t.is(valueOf(text, 'line_provider_journal_fsync_seconds_count'), 3);
  t.regex(text, /^process_cpu_user_seconds_total /m);
});

test('when a watch stream ends, then it is counted by reason', async (t) => {
  const { client, app } = await startServer(t);
  const reader = new StreamReader(watch(client));
  await reader.readSnapshot();
  const closed = new Promise((resolve) => app.watchers.once('closed', resolve));

  reader.stream.cancel();
  await closed;
  const { text } = await scrape(app.metricsPort);

  t.is(valueOf(text, 'line_provider_watch_streams_closed_total{reason="cancelled"}'), 1);
  t.is(valueOf(text, 'line_provider_watchers'), 0);
});

test('when two apps run in one process, then each has its own registry', async (t) => {
  const first = await startServer(t);
  const second = await startServer(t);

  await rpc.create(first.client, buildCreate());

  t.not(first.app.metricsPort, second.app.metricsPort);
  t.is(valueOf((await scrape(first.app.metricsPort)).text, 'line_provider_revision'), 1);
  t.is(valueOf((await scrape(second.app.metricsPort)).text, 'line_provider_revision'), 0);
});

test('when another path is asked, then 404', async (t) => {
  const { app } = await startServer(t);

  t.is((await scrape(app.metricsPort, '/')).status, 404);
});

test('when the metrics port is off, then no metrics server runs', async (t) => {
  const { app } = await startServer(t, { metricsPort: null });

  t.is(app.metricsPort, undefined);
});

test('when a caller sends x-request-id, then the call log line and the change log line carry it', async (t) => {
  const { logger, lines } = capturingLogger('debug');
  const { client } = await startServer(t, {}, { logger });

  const created = await rpc.create(client, buildCreate(), metadataOf({ 'x-request-id': 'req-42' }));
  await rpc.get(client, created.eventId);

  t.like(
    lines.find((line) => line['msg'] === 'rpc' && line['rpc'] === 'CreateEvent'),
    { requestId: 'req-42', code: 'OK' },
  );
  t.like(
    lines.find((line) => line['msg'] === 'event changed'),
    { requestId: 'req-42', eventId: created.eventId },
  );
  t.false('requestId' in (lines.find((line) => line['msg'] === 'rpc' && line['rpc'] === 'GetEvent') ?? {}));
});
