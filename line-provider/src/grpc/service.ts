import type { Logger } from 'pino';

import { parseFinalStatus } from '../domain/validation.js';
import type { EventStore, MutationResult } from '../store/event-store.js';
import type { LineProviderServiceServer } from '../gen/lineprovider/v1/line_provider.js';
import { encodePageToken, decodePageToken, effectivePageSize } from './page-token.js';
import { fromProtoStatus, toProtoEvent, toResumePoint } from './mappers.js';
import { unary } from './unary.js';
import type { WatchRegistry } from './watch-registry.js';

/** What the service handlers need. */
export interface ServiceDeps {
  readonly store: EventStore;
  readonly watchers: WatchRegistry;
  readonly logger: Logger;
}

/** The LineProviderService handlers: thin adapters between the wire messages and the store. */
export function createLineProviderService({
  store,
  watchers,
  logger,
}: ServiceDeps): LineProviderServiceServer {
  // Mutations are the business facts worth an info line; repeats that changed nothing stay at debug.
  const logged = (rpc: string, result: MutationResult): MutationResult => {
    const { eventId, status, revision, coefficient } = result.event;
    if (result.changed) logger.info({ rpc, eventId, status, coefficient, revision }, 'event changed');
    else logger.debug({ rpc, eventId, revision }, 'no-op: event already in the requested state');
    return result;
  };

  return {
    createEvent: unary('CreateEvent', logger, async (request) => {
      const result = await store.create(request);
      return { event: toProtoEvent(logged('CreateEvent', result).event) };
    }),

    getEvent: unary('GetEvent', logger, (request) => ({ event: toProtoEvent(store.get(request.eventId)) })),

    listEvents: unary('ListEvents', logger, (request) => {
      const afterId = decodePageToken(request.pageToken);
      const { events, more } = store.list(afterId, effectivePageSize(request.pageSize));
      const last = events.at(-1);
      return {
        events: events.map(toProtoEvent),
        nextPageToken: more && last !== undefined ? encodePageToken(last.eventId) : '',
      };
    }),

    updateEvent: unary('UpdateEvent', logger, async (request) => {
      const result = await store.update(request.eventId, request);
      return { event: toProtoEvent(logged('UpdateEvent', result).event) };
    }),

    updateEventStatus: unary('UpdateEventStatus', logger, async (request) => {
      const status = parseFinalStatus(fromProtoStatus(request.status));
      const result = await store.finish(request.eventId, status);
      return { event: toProtoEvent(logged('UpdateEventStatus', result).event) };
    }),

    watchEvents: (call) => {
      watchers.serve(call, toResumePoint(call.request));
    },
  };
}
