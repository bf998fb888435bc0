import type { EventRecord } from '../domain/event.js';
import type { WatchEventsResponse } from '../gen/lineprovider/v1/line_provider.js';
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

export function heartbeatMessage(revision: number): WatchEventsResponse {
  return { kind: { $case: 'heartbeat', value: { revision: String(revision) } } };
}
