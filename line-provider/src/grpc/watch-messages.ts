import type { EventRecord } from '../domain/event.js';
import type {
  LineProviderServiceService,
  WatchEventsResponse,
} from '../gen/lineprovider/v1/line_provider.js';
import type { WatchStart } from '../store/watch-types.js';
import { toProtoEvent } from './mappers.js';

/** The first message: which instance, from which revision, how many snapshot events follow. */
export function headerMessage(instanceId: string, start: WatchStart): WatchEventsResponse {
  const resumed = start.kind === 'resumed';
  return {
    kind: {
      $case: 'header',
      value: {
        instanceId,
        snapshotRevision: String(start.revision),
        eventCount: String(resumed ? 0 : start.events.length),
        resumed,
      },
    },
  };
}

/** The snapshot in chunks of `chunkSize`, converted lazily so a big snapshot is not held twice. */
export function* snapshotMessages(
  events: readonly EventRecord[],
  chunkSize: number,
): Generator<WatchEventsResponse> {
  for (let i = 0; i < events.length; i += chunkSize) {
    yield {
      kind: { $case: 'snapshotChunk', value: { events: events.slice(i, i + chunkSize).map(toProtoEvent) } },
    };
  }
}

export function snapshotEndMessage(revision: number): WatchEventsResponse {
  return { kind: { $case: 'snapshotEnd', value: { snapshotRevision: String(revision) } } };
}

/** One message object per change (records are immutable), shared by every watcher it goes to. */
const changeMessages = new WeakMap<EventRecord, WatchEventsResponse>();

export function changeMessage(change: EventRecord): WatchEventsResponse {
  let message = changeMessages.get(change);
  if (message === undefined) {
    message = { kind: { $case: 'change', value: { event: toProtoEvent(change) } } };
    changeMessages.set(change, message);
  }
  return message;
}

/**
 * The service definition with WatchEvents responses encoded once per message object: a change goes to
 * every watcher as the same object (changeMessage), so it is encoded once instead of once per watcher.
 * grpc-js copies the bytes into its own frame, so sharing them is safe.
 */
export function withSharedWatchEncoding(
  service: typeof LineProviderServiceService,
): typeof LineProviderServiceService {
  const encode = service.watchEvents.responseSerialize;
  const encoded = new WeakMap<WatchEventsResponse, Buffer>();
  const responseSerialize = (message: WatchEventsResponse): Buffer => {
    let bytes = encoded.get(message);
    if (bytes === undefined) {
      bytes = encode(message);
      encoded.set(message, bytes);
    }
    return bytes;
  };
  return { ...service, watchEvents: { ...service.watchEvents, responseSerialize } };
}

export function heartbeatMessage(revision: number): WatchEventsResponse {
  return { kind: { $case: 'heartbeat', value: { revision: String(revision) } } };
}
