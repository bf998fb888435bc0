import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';

import type { Event, WatchEventsResponse } from '../src/gen/lineprovider/v1/line_provider.js';

type Kind = NonNullable<WatchEventsResponse['kind']>;
export type Case = Kind['$case'];
export type ValueOf<C extends Case> = Extract<Kind, { $case: C }>['value'];

/** A snapshot as read from a watch stream. */
export interface Snapshot {
  readonly header: ValueOf<'header'>;
  readonly events: Event[];
  readonly chunkSizes: number[];
  readonly end: ValueOf<'snapshotEnd'>;
}

/** Reads a watch stream message by message, waiting for each (never for time). */
export class StreamReader {
  private readonly messages: WatchEventsResponse[] = [];
  private cursor = 0;
  private notify: (() => void) | undefined;
  private finished = false;
  /** The final status of the call (OK or the error), whenever it ends. */
  readonly status: Promise<StatusObject>;

  constructor(readonly stream: ClientReadableStream<WatchEventsResponse>) {
    stream.on('data', (message: WatchEventsResponse) => {
      this.messages.push(message);
      this.notify?.();
    });
    // Without an 'error' listener an ended call would crash the test process.
    stream.on('error', () => undefined);
    this.status = new Promise((resolve) => {
      stream.on('status', (status: StatusObject) => {
        this.finished = true;
        this.notify?.();
        resolve(status);
      });
    });
  }

  /** The next message; rejects if the stream ended first. */
  async next(): Promise<WatchEventsResponse> {
    while (this.cursor >= this.messages.length) {
      if (this.finished) throw new Error('stream ended');
      await new Promise<void>((resolve) => (this.notify = resolve));
    }
    const message = this.messages[this.cursor];
    this.cursor += 1;
    if (message === undefined) throw new Error('unreachable');
    return message;
  }

  /** The next message, which must be of kind `kind`. */
  async expect<C extends Case>(kind: C): Promise<ValueOf<C>> {
    const message = await this.next();
    if (message.kind?.$case !== kind) {
      throw new Error(`expected ${kind}, got ${message.kind?.$case ?? 'nothing'}`);
    }
    return message.kind.value as ValueOf<C>;
  }

  /** Header, chunks and end of a snapshot; throws on anything else in between. */
  async readSnapshot(): Promise<Snapshot> {
    const header = await this.expect('header');
    const events: Event[] = [];
    const chunkSizes: number[] = [];
    for (;;) {
      const message = await this.next();
      if (message.kind?.$case === 'snapshotChunk') {
        events.push(...message.kind.value.events);
        chunkSizes.push(message.kind.value.events.length);
      } else if (message.kind?.$case === 'snapshotEnd') {
        return { header, events, chunkSizes, end: message.kind.value };
      } else {
        throw new Error(`unexpected ${message.kind?.$case ?? 'nothing'} inside a snapshot`);
      }
    }
  }

  /** The next change, skipping heartbeats. */
  async nextChange(): Promise<Event> {
    for (;;) {
      const message = await this.next();
      if (message.kind?.$case === 'heartbeat') continue;
      if (message.kind?.$case === 'change' && message.kind.value.event !== undefined)
        return message.kind.value.event;
      throw new Error(`expected a change, got ${message.kind?.$case ?? 'nothing'}`);
    }
  }
}
