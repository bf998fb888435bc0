import test from 'ava';
import { credentials } from '@grpc/grpc-js';

import { EventStatus, LineProviderServiceClient } from '../src/gen/lineprovider/v1/line_provider.js';
import { buildCreate, metadataOf, rpc } from './helpers.js';
import { record, tempDataDir, writeLines } from './journal-helpers.js';
import { spawnLineProvider } from './process.js';

const admin = metadataOf({ authorization: 'Bearer secret' });

function clientOf(t: { teardown(fn: () => void): void }, port: number): LineProviderServiceClient {
  const client = new LineProviderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  t.teardown(() => client.close());
  return client;
}

test('when the process is killed with SIGKILL during writes, then every answered change is back after a restart', async (t) => {
  const { dir } = await tempDataDir(t);
  const env = {
    LINE_PROVIDER_DATA_DIR: dir,
    LINE_PROVIDER_ADMIN_TOKEN: 'secret',
    LINE_PROVIDER_METRICS_PORT: '0',
  };
  const first = await spawnLineProvider(t, env).listening;
  const client = clientOf(t, first.port);
  const created = await Promise.all(
    Array.from({ length: 40 }, (_, i) => rpc.create(client, buildCreate({ eventId: `k-${i}` }), admin)),
  );
  const finished = await Promise.all(
    created
      .slice(0, 10)
      .map(({ eventId }) =>
        rpc.finish(client, { eventId, status: EventStatus.EVENT_STATUS_FINISHED_LOSE }, admin),
      ),
  );

  // Writers that keep going until the process dies under them: the answered changes must survive, the ones in
  // flight may or may not.
  const answered: string[] = [];
  let someAnswered: () => void = () => undefined;
  const killTime = new Promise<void>((resolve) => (someAnswered = resolve));
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; ; i += 1) {
      const event = await rpc
        .create(client, buildCreate({ eventId: `late-${w}-${i}` }), admin)
        .catch(() => undefined);
      if (event === undefined) return;
      if (answered.push(event.eventId) === 100) someAnswered();
    }
  };
  const inFlight = [1, 2, 3, 4, 5, 6, 7, 8].map(writer);
  await killTime;
  first.child.kill('SIGKILL');
  await Promise.all(inFlight);
  t.like(await first.exited, { signal: 'SIGKILL' });

  const second = await spawnLineProvider(t, env).listening;
  const events = (await rpc.list(clientOf(t, second.port), { pageSize: 1000 })).events;
  const byId = new Map(events.map((event) => [event.eventId, event]));

  for (const event of [...created.slice(10), ...finished]) t.deepEqual(byId.get(event.eventId), event);
  for (const eventId of answered) t.true(byId.has(eventId), `${eventId} was answered, so it is kept`);
  const late = events.filter((event) => event.eventId.startsWith('late-'));
  t.is(
    Math.max(...events.map((event) => Number(event.revision))),
    50 + late.length,
    'each late event present is one change after the first 50, with no gap',
  );
  t.log(
    `${answered.length} late creates were answered before SIGKILL; ${events.length} events after restart`,
  );
});

test('when the journal is damaged in the middle, then the process exits 1 naming the file and the line', async (t) => {
  const files = await tempDataDir(t);
  await writeLines(files.journal, [record(1), record(3), record(4)]);

  const started = spawnLineProvider(t, {
    LINE_PROVIDER_DATA_DIR: files.dir,
    LINE_PROVIDER_METRICS_PORT: 'off',
  });
  started.listening.catch(() => undefined);

  t.is((await started.exited).code, 1);
  t.regex(
    started.output(),
    /line-provider cannot start: journal .*events\.journal is damaged at line 2 of 3/,
  );
});

test('when a TLS certificate is set without its key, then the process exits 2 naming the variable', async (t) => {
  const started = spawnLineProvider(t, { LINE_PROVIDER_TLS_CERT: '/tmp/server.crt' });
  started.listening.catch(() => undefined);

  t.is((await started.exited).code, 2);
  t.regex(started.output(), /LINE_PROVIDER_TLS_KEY: is required when LINE_PROVIDER_TLS_CERT is set/);
});
