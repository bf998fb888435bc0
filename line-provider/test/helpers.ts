import { randomUUID } from 'node:crypto';

import type { ExecutionContext } from 'ava';
import type { CallOptions, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { credentials, Metadata } from '@grpc/grpc-js';
import { pino } from 'pino';

import type { App, AppDeps } from '../src/app.js';
import { createApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { buildConfig } from '../src/config.js';
import type { CloseReason } from '../src/grpc/watch-session.js';
import type {
  CreateEventRequest,
  Event,
  ListEventsRequest,
  ListEventsResponse,
  UpdateEventRequest,
  UpdateEventStatusRequest,
  WatchEventsRequest,
  WatchEventsResponse,
} from '../src/gen/lineprovider/v1/line_provider.js';
import { LineProviderServiceClient } from '../src/gen/lineprovider/v1/line_provider.js';

/** A started app and a client connected to it. */
export interface TestServer {
  readonly app: App;
  readonly port: number;
  readonly client: LineProviderServiceClient;
}

/** Test defaults: loopback, a free port, fast heartbeats, quiet logs (TEST_LOG_LEVEL=debug to see them). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return buildConfig({ host: '127.0.0.1', port: 0, heartbeatMs: 50, logLevel: 'silent', ...overrides });
}

/** Starts a server for one test; it is stopped when the test ends. */
export async function startServer(
  t: ExecutionContext,
  overrides: Partial<Config> = {},
  deps: AppDeps = {},
): Promise<TestServer> {
  const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const app = createApp(testConfig(overrides), { logger, ...deps });
  const { port } = await app.start();
  const client = new LineProviderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  t.teardown(async () => {
    await app.stop();
    client.close();
  });
  return { app, port, client };
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  cb: Callback<Res>,
) => unknown;

function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + 10_000 }, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

function eventOf(response: { event?: Event | undefined }): Event {
  if (response.event === undefined) throw new Error('response carries no event');
  return response.event;
}

/** A create request with a unique id, coefficient "1.50" and a deadline an hour ahead. */
export function buildCreate(overrides: Partial<CreateEventRequest> = {}): CreateEventRequest {
  return {
    eventId: `ev-${randomUUID()}`,
    coefficient: '1.50',
    deadline: new Date(Date.now() + 3_600_000),
    ...overrides,
  };
}

/** Call metadata, e.g. `metadataOf({ authorization: 'Bearer x' })`. */
export function metadataOf(entries: Record<string, string> = {}): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** Promise-returning calls on the generated client (10 s deadline); `metadata` carries a token when needed. */
export const rpc = {
  create: async (
    client: LineProviderServiceClient,
    request: CreateEventRequest,
    metadata?: Metadata,
  ): Promise<Event> => eventOf(await unary(client.createEvent.bind(client), request, metadata)),
  get: async (client: LineProviderServiceClient, eventId: string, metadata?: Metadata): Promise<Event> =>
    eventOf(await unary(client.getEvent.bind(client), { eventId }, metadata)),
  list: (
    client: LineProviderServiceClient,
    request: Partial<ListEventsRequest> = {},
    metadata?: Metadata,
  ): Promise<ListEventsResponse> =>
    unary(client.listEvents.bind(client), { pageSize: 0, pageToken: '', ...request }, metadata),
  update: async (
    client: LineProviderServiceClient,
    request: UpdateEventRequest,
    metadata?: Metadata,
  ): Promise<Event> => eventOf(await unary(client.updateEvent.bind(client), request, metadata)),
  finish: async (
    client: LineProviderServiceClient,
    request: UpdateEventStatusRequest,
    metadata?: Metadata,
  ): Promise<Event> => eventOf(await unary(client.updateEventStatus.bind(client), request, metadata)),
};

/** Resolves when the next watch stream ends on the server, with why. */
export function nextClose(app: App): Promise<{ readonly reason: CloseReason }> {
  return new Promise((resolve) => app.watchers.once('closed', resolve));
}

/** Opens a watch; by default a fresh start. */
export function watch(
  client: LineProviderServiceClient,
  request: Partial<WatchEventsRequest> = {},
  metadata: Metadata = new Metadata(),
): ClientReadableStream<WatchEventsResponse> {
  return client.watchEvents(
    { resumeInstanceId: '', resumeRevision: '0', maxChangesPerMessage: 0, ...request },
    metadata,
  );
}

export { StreamReader } from './stream-reader.js';
export type { Snapshot } from './stream-reader.js';
