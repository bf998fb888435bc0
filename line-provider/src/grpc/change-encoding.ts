import type { EventRecord } from '../domain/event.js';
import type {
  Event,
  LineProviderServiceService,
  WatchEventsResponse,
} from '../gen/lineprovider/v1/line_provider.js';
import { EventChanges } from '../gen/lineprovider/v1/line_provider.js';
import { toProtoEvent } from './mappers.js';

/** Field numbers of `WatchEventsResponse.kind` (proto/lineprovider/v1/line_provider.proto). */
const CHANGE_FIELD = 4;
const CHANGES_FIELD = 6;
/** Wire type of length-delimited fields (protobuf encoding spec). */
const LEN = 2;

/** Encoded changes kept: a watcher further behind than this gets its changes encoded again (correct, just slower). */
const RECENT = 4_096;

/** Message objects whose bytes are already built; the serializer sends those bytes instead of encoding again. */
const prebuilt = new WeakMap<WatchEventsResponse, Buffer>();

/**
 * The service definition with WatchEvents responses serialized from bytes built beforehand where there are
 * some (see {@link ChangeEncoder}), and by the generated encoder otherwise. grpc-js copies the bytes into its
 * own frame, so one buffer can go to every watcher.
 */
export function withPrebuiltWatchEncoding(
  service: typeof LineProviderServiceService,
): typeof LineProviderServiceService {
  const encode = service.watchEvents.responseSerialize;
  const responseSerialize = (message: WatchEventsResponse): Buffer =>
    prebuilt.get(message) ?? encode(message);
  return { ...service, watchEvents: { ...service.watchEvents, responseSerialize } };
}

interface Encoded {
  readonly record: EventRecord;
  readonly event: Event;
  /** The event as field 1 of EventChanges (tag, length, Event): one element of a `changes` message. */
  readonly element: Uint8Array;
  /** The whole `change` message, its bytes prebuilt. */
  readonly single: WatchEventsResponse;
}

/**
 * Encodes each change once for every watcher. A change goes to N watchers, alone (`change`) or inside a batch
 * (`changes`) whose make-up differs per watcher; both are built from the same per-change element, because
 * `EventChange { Event event = 1 }` and each entry of `EventChanges { repeated Event events = 1 }` have the same
 * bytes. So a batch costs one copy of its elements, not an encoding per watcher. Recent changes are kept in a
 * ring indexed by revision and checked by identity (a record is immutable; a restarted store reuses revisions).
 */
export class ChangeEncoder {
  private readonly recent: (Encoded | undefined)[] = new Array<Encoded | undefined>(RECENT);

  /** One change as a `change` message (the same object, and bytes, for every watcher). */
  single(record: EventRecord): WatchEventsResponse {
    return this.encoded(record).single;
  }

  /** Consecutive changes as one `changes` message (one alone as `change`). */
  batch(records: readonly EventRecord[]): WatchEventsResponse {
    const [only] = records;
    if (records.length === 1 && only !== undefined) return this.single(only);
    const encoded = records.map((r) => this.encoded(r));
    const message: WatchEventsResponse = {
      kind: { $case: 'changes', value: { events: encoded.map((e) => e.event) } },
    };
    prebuilt.set(
      message,
      frame(
        CHANGES_FIELD,
        encoded.map((e) => e.element),
      ),
    );
    return message;
  }

  private encoded(record: EventRecord): Encoded {
    const slot = record.revision % RECENT;
    const cached = this.recent[slot];
    if (cached?.record === record) return cached;
    const event = toProtoEvent(record);
    const element = EventChanges.encode({ events: [event] }).finish();
    const single: WatchEventsResponse = { kind: { $case: 'change', value: { event } } };
    prebuilt.set(single, frame(CHANGE_FIELD, [element]));
    const fresh = { record, event, element, single };
    this.recent[slot] = fresh;
    return fresh;
  }
}

/** A length-delimited field of WatchEventsResponse whose content is `parts` one after another. */
function frame(field: number, parts: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafe(1 + varintSize(length) + length);
  let at = 0;
  out[at++] = (field << 3) | LEN;
  for (let v = length; ; v >>>= 7) {
    if (v < 0x80) {
      out[at++] = v;
      break;
    }
    out[at++] = (v & 0x7f) | 0x80;
  }
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function varintSize(v: number): number {
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}
