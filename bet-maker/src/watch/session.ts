import type { WatchEventsResponse } from '../gen/lineprovider/v1/line_provider.js';
import type { EventRecord } from '../domain/event.js';
import { ProtocolError, toEventRecord } from './mapping.js';
import type { StreamReader } from './stream-reader.js';

/** Where the client stands: the provider instance and the last revision applied from it. */
export interface Position {
  instanceId: string;
  revision: bigint;
}

/** What one stream feeds into; each method resolves once the data is durably applied. */
export interface SessionSink {
  /** The position to resume from, if any. */
  position(): Position | undefined;
  applySnapshot(instanceId: string, revision: bigint, events: EventRecord[]): Promise<void>;
  /** Changes with contiguous revisions following position().revision. */
  applyChanges(changes: EventRecord[]): Promise<void>;
  /** Snapshot applied or resume accepted: the stream is live. */
  live(): void;
}

/** A missed or repeated revision: the stream cannot be trusted, resync from a snapshot. */
export class GapError extends ProtocolError {
  constructor(expected: bigint, got: bigint) {
    super(`revision gap: expected ${expected}, got ${got}`);
    this.name = 'GapError';
  }
}

/**
 * Consumes one WatchEvents stream: header -> (snapshot chunks -> snapshot end | resumed) -> changes and
 * heartbeats. Buffers the snapshot and applies it at once; applies changes in batches of whatever
 * arrived together. Returns when the stream ends; throws on errors and protocol violations.
 */
export async function runSession(
  reader: StreamReader<WatchEventsResponse>,
  sink: SessionSink,
): Promise<void> {
  let phase: 'header' | 'snapshot' | 'live' = 'header';
  let header = { instanceId: '', revision: 0n, count: 0n };
  let snapshot: EventRecord[] = [];
  let pending: EventRecord[] = [];
  const expectPhase = (want: typeof phase, what: string) => {
    if (phase !== want) throw new ProtocolError(`${what} during ${phase}`);
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await sink.applyChanges(batch);
  };
  for (;;) {
    const messages = await reader.next();
    if (messages === null) return flush();
    for (const { kind } of messages) {
      switch (kind?.$case) {
        case 'header': {
          expectPhase('header', 'header');
          const h = kind.value;
          header = {
            instanceId: h.instanceId,
            revision: BigInt(h.snapshotRevision),
            count: BigInt(h.eventCount),
          };
          if (!h.resumed) {
            phase = 'snapshot';
            break;
          }
          const at = sink.position();
          if (at === undefined || at.instanceId !== h.instanceId || at.revision !== header.revision) {
            throw new ProtocolError('resumed from a position the client did not ask for');
          }
          phase = 'live';
          sink.live();
          break;
        }
        case 'snapshotChunk':
          expectPhase('snapshot', 'snapshot chunk');
          for (const e of kind.value.events) snapshot.push(toEventRecord(e));
          break;
        case 'snapshotEnd': {
          expectPhase('snapshot', 'snapshot end');
          if (BigInt(kind.value.snapshotRevision) !== header.revision) {
            throw new ProtocolError('snapshot end does not match the header revision');
          }
          if (BigInt(snapshot.length) !== header.count) {
            throw new ProtocolError(`snapshot has ${snapshot.length} events, header said ${header.count}`);
          }
          const events = snapshot;
          snapshot = [];
          await sink.applySnapshot(header.instanceId, header.revision, events);
          phase = 'live';
          sink.live();
          break;
        }
        case 'change': {
          expectPhase('live', 'change');
          const e = toEventRecord(kind.value.event);
          const expected = (sink.position()?.revision ?? 0n) + BigInt(pending.length) + 1n;
          if (BigInt(e.revision) !== expected) {
            await flush();
            throw new GapError(expected, BigInt(e.revision));
          }
          pending.push(e);
          break;
        }
        case 'heartbeat': {
          expectPhase('live', 'heartbeat');
          await flush();
          const at = sink.position()?.revision ?? 0n;
          if (BigInt(kind.value.revision) !== at) throw new GapError(at, BigInt(kind.value.revision));
          break;
        }
        default:
          throw new ProtocolError('empty message');
      }
    }
    await flush();
  }
}
