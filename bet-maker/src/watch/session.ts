import type { Event, WatchEventsResponse } from '../gen/lineprovider/v1/line_provider.js';
import type { EventRecord } from '../domain/event.js';
import { ProtocolError, toEventRecord } from './mapping.js';
import type { StreamReader } from './stream-reader.js';

/** Where the client stands: the provider instance and the last revision applied from it. */
export interface Position {
  instanceId: string;
  revision: bigint;
}

/** One snapshot being applied as it arrives; nothing of it is visible before commit() resolves. */
export interface SnapshotSink {
  /** Events of the next chunk, in the order received. */
  add(events: readonly EventRecord[]): void;
  /** The snapshot is complete: resolves once it is durably applied (and the position moved). */
  commit(): Promise<void>;
  /** The stream broke: resolves once nothing of the snapshot is applied or in flight. */
  abort(): Promise<void>;
}

/** What one stream feeds into; each method resolves once the data is durably applied. */
export interface SessionSink {
  /** The position to resume from, if any. */
  position(): Position | undefined;
  beginSnapshot(instanceId: string, revision: bigint): SnapshotSink;
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
 * heartbeats. Hands the snapshot to the sink chunk by chunk (it applies them as they come, committing at
 * the end); applies changes, whether they come one per `change` or several per `changes` message, in
 * batches of whatever arrived together. Returns when the stream ends; throws on errors and protocol
 * violations, and in both cases aborts a snapshot that did not reach its end.
 */
export async function runSession(
  reader: StreamReader<WatchEventsResponse>,
  sink: SessionSink,
): Promise<void> {
  let phase: 'header' | 'snapshot' | 'live' = 'header';
  let header = { instanceId: '', revision: 0n, count: 0n };
  let snapshot: SnapshotSink | undefined;
  let received = 0;
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
  const change = async (event: Event | undefined) => {
    const e = toEventRecord(event);
    const expected = (sink.position()?.revision ?? 0n) + BigInt(pending.length) + 1n;
    if (BigInt(e.revision) !== expected) {
      await flush();
      throw new GapError(expected, BigInt(e.revision));
    }
    pending.push(e);
  };
  try {
    for (;;) {
      const messages = await reader.next();
      if (messages === null) return await flush();
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
              snapshot = sink.beginSnapshot(header.instanceId, header.revision);
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
          case 'snapshotChunk': {
            expectPhase('snapshot', 'snapshot chunk');
            const events = kind.value.events;
            received += events.length;
            if (BigInt(received) > header.count) {
              throw new ProtocolError(`snapshot has more than the ${header.count} events the header said`);
            }
            snapshot?.add(events.map(toEventRecord));
            break;
          }
          case 'snapshotEnd': {
            expectPhase('snapshot', 'snapshot end');
            if (BigInt(kind.value.snapshotRevision) !== header.revision) {
              throw new ProtocolError('snapshot end does not match the header revision');
            }
            if (BigInt(received) !== header.count) {
              throw new ProtocolError(`snapshot has ${received} events, header said ${header.count}`);
            }
            const applying = snapshot;
            snapshot = undefined;
            await applying?.commit();
            phase = 'live';
            sink.live();
            break;
          }
          case 'change':
            expectPhase('live', 'change');
            await change(kind.value.event);
            break;
          case 'changes':
            expectPhase('live', 'changes');
            if (kind.value.events.length === 0) throw new ProtocolError('changes message without events');
            for (const event of kind.value.events) await change(event);
            break;
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
  } finally {
    await snapshot?.abort();
  }
}
