import { parseFinalStatus } from '../domain/validation.js';
import type { EventStore, MutationResult } from '../store/event-store.js';
import type { LineProviderServiceServer } from '../gen/lineprovider/v1/line_provider.js';
import type { RpcDeps } from './authorize.js';
import { authorize } from './authorize.js';
import { encodePageToken, decodePageToken, effectivePageSize } from './page-token.js';
import { fromProtoStatus, toProtoEvent, toResumePoint } from './mappers.js';
import { requestIdOf } from './request-id.js';
import { unary } from './unary.js';
import type { WatchRegistry } from './watch-registry.js';

/** What the service handlers need. */
export interface ServiceDeps extends RpcDeps {
  readonly store: EventStore;
  readonly watchers: WatchRegistry;
}

/** The LineProviderService handlers: thin adapters between the wire messages and the store. */
export function createLineProviderService(deps: ServiceDeps): LineProviderServiceServer {
  const { store, watchers, logger } = deps;
  // Mutations are the business facts worth an info line; repeats that changed nothing stay at debug.
  const logged = (rpc: string, result: MutationResult, requestId: string | undefined): MutationResult => {
    const { eventId, status, revision, coefficient } = result.event;
    if (result.changed)
      logger.info({ rpc, eventId, status, coefficient, revision, requestId }, 'event changed');
    else logger.debug({ rpc, eventId, revision, requestId }, 'no-op: event already in the requested state');
    return result;
  };

  return {
    createEvent: unary('CreateEvent', 'write', deps, async (request, { requestId }) => {
      const result = await store.create(request);
      return { event: toProtoEvent(logged('CreateEvent', result, requestId).event) };
    }),

    getEvent: unary('GetEvent', 'read', deps, (request) => ({
      event: toProtoEvent(store.get(request.eventId)),
    })),

    listEvents: unary('ListEvents', 'read', deps, (request) => {
      const afterId = decodePageToken(request.pageToken);
      const { events, more } = store.list(afterId, effectivePageSize(request.pageSize));
      const last = events.at(-1);
      return {
        events: events.map(toProtoEvent),
        nextPageToken: more && last !== undefined ? encodePageToken(last.eventId) : '',
      };
    }),

    updateEvent: unary('UpdateEvent', 'write', deps, async (request, { requestId }) => {
      const result = await store.update(request.eventId, request);
      return { event: toProtoEvent(logged('UpdateEvent', result, requestId).event) };
    }),

    updateEventStatus: unary('UpdateEventStatus', 'write', deps, async (request, { requestId }) => {
      const status = parseFinalStatus(fromProtoStatus(request.status));
      const result = await store.finish(request.eventId, status);
      return { event: toProtoEvent(logged('UpdateEventStatus', result, requestId).event) };
    }),

    watchEvents: (call) => {
      const requestId = requestIdOf(call.metadata);
      const refusal = authorize('WatchEvents', 'read', call, requestId, deps);
      if (refusal !== undefined) {
        // grpc-js's own 'error' listener ends the stream with this status.
        call.emit('error', Object.assign(new Error(refusal.details), refusal));
        return;
      }
      watchers.serve(call, toResumePoint(call.request), requestId);
    },
  };
}
