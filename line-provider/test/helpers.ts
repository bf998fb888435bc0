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

function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), {}, (error, response) =>
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

/** Promise-returning calls on the generated client. */
export const rpc = {
  create: async (client: LineProviderServiceClient, request: CreateEventRequest): Promise<Event> =>
    eventOf(await unary(client.createEvent.bind(client), request)),
  get: async (client: LineProviderServiceClient, eventId: string): Promise<Event> =>
    eventOf(await unary(client.getEvent.bind(client), { eventId })),
  list: (
    client: LineProviderServiceClient,
    request: Partial<ListEventsRequest> = {},
  ): Promise<ListEventsResponse> =>
    unary(client.listEvents.bind(client), { pageSize: 0, pageToken: '', ...request }),
  update: async (client: LineProviderServiceClient, request: UpdateEventRequest): Promise<Event> =>
    eventOf(await unary(client.updateEvent.bind(client), request)),
  finish: async (client: LineProviderServiceClient, request: UpdateEventStatusRequest): Promise<Event> =>
    eventOf(await unary(client.updateEventStatus.bind(client), request)),
};

/** Resolves when the next watch stream ends on the server, with why. */
export function nextClose(app: App): Promise<{ readonly reason: CloseReason }> {
  return new Promise((resolve) => app.watchers.once('closed', resolve));
}

/** Opens a watch; by default a fresh start. */
export function watch(
  client: LineProviderServiceClient,
  request: Partial<WatchEventsRequest> = {},
): ClientReadableStream<WatchEventsResponse> {
  return client.watchEvents({ resumeInstanceId: '', resumeRevision: '0', ...request });
}

export { StreamReader } from './stream-reader.js';
export type { Snapshot } from './stream-reader.js';
