import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import {
  Server,
  ServerCredentials,
  status,
  type ServerWritableStream,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  EventStatus,
  LineProviderServiceService,
  type Event,
  type LineProviderServiceServer,
  type WatchEventsRequest,
  type WatchEventsResponse,
} from '../../src/gen/lineprovider/v1/line_provider.js';

type Call = ServerWritableStream<WatchEventsRequest, WatchEventsResponse>;

/** How the next WatchEvents call behaves (tests script faults with it). */
export interface WatchScript {
  /** Send the header and this many snapshot chunks, then fail the call with UNAVAILABLE. */
  cutAfterChunks?: number;
  /** Send only the header; the rest waits for releaseSnapshot(). */
  holdSnapshot?: boolean;
  /** Refuse to resume even when asked (forces a snapshot). */
  noResume?: boolean;
}

const grpcError = (code: status, details: string): Partial<ServiceError> => ({
  code,
  details,
  message: details,
});

/**
 * A real gRPC server that implements line-provider's service from bet-maker's generated code, with the
 * real protocol (header, chunked snapshot, snapshot end, contiguous changes, resume) and knobs to break
 * it: cut streams, hold snapshots, inject raw messages, restart as a new instance. Heartbeats are sent
 * only when a test calls heartbeat(), so nothing depends on time.
 * Emits `watch` (request) for every WatchEvents call.
 */
export class FakeLineProvider extends EventEmitter<{ watch: [WatchEventsRequest] }> {
  instanceId = randomUUID();
  revision = 0n;
  readonly events = new Map<string, Event>();
  private log: Event[] = [];
  private readonly live = new Set<Call>();
  private held: (() => void)[] = [];
  private scripts: WatchScript[] = [];
  /** Changes made inside batch(), published together at its end. */
  private batching: Event[] | undefined;
  chunkSize = 2;
  /** How many `changes` messages were sent (each to one watcher). */
  changesMessagesSent = 0;
  readonly watchRequests: WatchEventsRequest[] = [];

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {
    super();
  }

  static async start(): Promise<FakeLineProvider> {
    const server = new Server();
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const fake = new FakeLineProvider(server, `127.0.0.1:${port}`);
    server.addService(LineProviderServiceService, fake.handlers() as unknown as UntypedServiceImplementation);
    return fake;
  }

  /** Scripts the next WatchEvents call. */
  script(s: WatchScript): void {
    this.scripts.push(s);
  }

  /** Creates or changes an event like the real provider: next revision, published to every watcher. */
  put(e: { id: string; coefficient?: string; deadline?: Date; status?: EventStatus }): Event {
    const prev = this.events.get(e.id);
    const event: Event = {
      eventId: e.id,
      coefficient: e.coefficient ?? prev?.coefficient ?? '1.50',
      deadline: e.deadline ?? prev?.deadline ?? new Date(Date.now() + 3_600_000),
      status: e.status ?? prev?.status ?? EventStatus.EVENT_STATUS_NEW,
      revision: (++this.revision).toString(),
    };
    this.events.set(e.id, event);
    this.log.push(event);
    if (this.batching !== undefined) this.batching.push(event);
    else for (const call of this.live) this.sendChanges(call, [event]);
    return event;
  }

  /**
   * Makes the changes in `fn` and publishes them together, as the real provider does with changes that
   * wait together: in `changes` messages (at most the watcher's max_changes_per_message each) to watchers
   * that asked for more than one, one `change` each to the others. `tamper` edits the list that is sent,
   * not the provider's state (to break the protocol on purpose). Returns the changes made.
   */
  batch(fn: () => void, tamper: (events: Event[]) => Event[] = (events) => events): Event[] {
    const made: Event[] = [];
    this.batching = made;
    try {
      fn();
    } finally {
      this.batching = undefined;
    }
    const sent = tamper([...made]);
    for (const call of this.live) this.sendChanges(call, sent);
    return made;
  }

  finish(id: string, win: boolean): Event {
    const st = win ? EventStatus.EVENT_STATUS_FINISHED_WIN : EventStatus.EVENT_STATUS_FINISHED_LOSE;
    return this.put({ id, status: st });
  }

  /** Sends a heartbeat with the current revision to every live watcher. */
  heartbeat(): void {
    this.broadcast({ kind: { $case: 'heartbeat', value: { revision: this.revision.toString() } } });
  }

  /** Sends a raw message to every live watcher (to break the protocol on purpose). */
  broadcast(msg: WatchEventsResponse): void {
    for (const call of this.live) call.write(msg);
  }

  /** Ends every live watch with an error status (default UNAVAILABLE). */
  cutAll(code: status = status.UNAVAILABLE): void {
    for (const call of this.live) call.emit('error', grpcError(code, 'cut by the test'));
    this.live.clear();
  }

  /** Lets held snapshots go. */
  releaseSnapshot(): void {
    for (const go of this.held.splice(0)) go();
  }

  /** A new process: new instance id; `keepEvents` false loses every event (no journal). */
  restart(keepEvents: boolean): void {
    this.cutAll();
    this.instanceId = randomUUID();
    this.log = [];
    if (!keepEvents) {
      this.events.clear();
      this.revision = 0n;
    }
  }

  get watcherCount(): number {
    return this.live.size;
  }

  /** Resolves when the next WatchEvents call arrives. */
  async nextWatch(): Promise<WatchEventsRequest> {
    const [req] = (await once(this, 'watch')) as [WatchEventsRequest];
    return req;
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((res) => this.server.tryShutdown(() => res()));
  }

  private handlers(): Partial<LineProviderServiceServer> {
    return {
      getEvent: (call, cb) => {
        const e = this.events.get(call.request.eventId);
        if (e) cb(null, { event: e });
        else cb(grpcError(status.NOT_FOUND, 'no such event'));
      },
      watchEvents: (call) => this.watch(call),
    };
  }

  private watch(call: Call): void {
    const req = call.request;
    const s = this.scripts.shift() ?? {};
    this.watchRequests.push(req);
    call.on('cancelled', () => this.live.delete(call));
    const from = BigInt(req.resumeRevision || '0');
    const first = this.log[0] === undefined ? this.revision + 1n : BigInt(this.log[0].revision);
    const canResume =
      !s.noResume && req.resumeInstanceId === this.instanceId && from <= this.revision && from + 1n >= first;
    if (canResume) {
      call.write(header(this.instanceId, from, 0n, true));
      this.sendChanges(
        call,
        this.log.filter((e) => BigInt(e.revision) > from),
      );
      this.live.add(call);
    } else {
      this.sendSnapshot(call, s);
    }
    this.emit('watch', req);
  }

  private sendSnapshot(call: Call, s: WatchScript): void {
    const events = [...this.events.values()];
    const rev = this.revision;
    call.write(header(this.instanceId, rev, BigInt(events.length), false));
    const rest = () => {
      for (let i = 0, n = 0; i < events.length; i += this.chunkSize, n++) {
        if (s.cutAfterChunks !== undefined && n >= s.cutAfterChunks) {
          call.emit('error', grpcError(status.UNAVAILABLE, 'cut mid-snapshot'));
          return;
        }
        call.write({
          kind: { $case: 'snapshotChunk', value: { events: events.slice(i, i + this.chunkSize) } },
        });
      }
      if (s.cutAfterChunks !== undefined) {
        call.emit('error', grpcError(status.UNAVAILABLE, 'cut mid-snapshot'));
        return;
      }
      call.write({ kind: { $case: 'snapshotEnd', value: { snapshotRevision: rev.toString() } } });
      // Changes made while the snapshot was held follow it, in order.
      this.sendChanges(
        call,
        this.log.filter((e) => BigInt(e.revision) > rev),
      );
      this.live.add(call);
    };
    if (s.holdSnapshot) this.held.push(rest);
    else rest();
  }

  /**
   * Writes changes the way the real provider does: in slices of the watcher's max_changes_per_message (at
   * least 1, at most 256), a slice of one as `change` and a longer one as `changes`.
   */
  private sendChanges(call: Call, events: Event[]): void {
    const max = Math.max(1, Math.min(call.request.maxChangesPerMessage, 256));
    for (let i = 0; i < events.length; i += max) {
      const slice = events.slice(i, i + max);
      if (slice.length === 1 && slice[0] !== undefined) {
        call.write(change(slice[0]));
      } else {
        call.write({ kind: { $case: 'changes', value: { events: slice } } });
        this.changesMessagesSent++;
      }
    }
  }
}

const header = (instanceId: string, rev: bigint, count: bigint, resumed: boolean): WatchEventsResponse => ({
  kind: {
    $case: 'header',
    value: { instanceId, snapshotRevision: rev.toString(), eventCount: count.toString(), resumed },
  },
});

const change = (event: Event): WatchEventsResponse => ({ kind: { $case: 'change', value: { event } } });
