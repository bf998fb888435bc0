import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  EventStatus,
  LineProviderServiceClient,
  type Event,
} from '../../line-provider/src/gen/lineprovider/v1/line_provider.js';
import { forEachLimit, progress } from './concurrency.js';

export { EventStatus, LineProviderServiceClient };

/** The generated client, promisified for the calls the bench makes. */
export interface Provider {
  readonly client: LineProviderServiceClient;
  create(eventId: string, coefficient: string, deadline: Date): Promise<Event>;
  update(eventId: string, change: { coefficient?: string; deadline?: Date }): Promise<Event>;
  finish(eventId: string, win: boolean): Promise<Event>;
  close(): void;
}

/** One channel to line-provider (its own connection, not shared with other clients of this process). */
export function connectProvider(port: number): Provider {
  const client = new LineProviderServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  const call = <T>(fn: (cb: (err: ServiceError | null, res: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => fn((err, res) => (err === null ? resolve(res) : reject(err))));
  const eventOf = (res: { event?: Event | undefined }): Event => {
    if (res.event === undefined) throw new Error('response without an event');
    return res.event;
  };
  return {
    client,
    create: (eventId, coefficient, deadline) =>
      call<{ event?: Event }>((cb) => client.createEvent({ eventId, coefficient, deadline }, cb)).then(
        eventOf,
      ),
    update: (eventId, change) =>
      call<{ event?: Event }>((cb) => client.updateEvent({ eventId, ...change }, cb)).then(eventOf),
    finish: (eventId, win) =>
      call<{ event?: Event }>((cb) =>
        client.updateEventStatus(
          {
            eventId,
            status: win ? EventStatus.EVENT_STATUS_FINISHED_WIN : EventStatus.EVENT_STATUS_FINISHED_LOSE,
          },
          cb,
        ),
      ).then(eventOf),
    close: () => client.close(),
  };
}

/**
 * Creates `count` open events `<prefix>-<i>` (coefficient 1.75, deadline in two hours) with 64 calls in
 * flight, printing progress; returns their ids.
 */
export async function createEvents(provider: Provider, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const deadline = new Date(Date.now() + 2 * 3_600_000);
  const step = Math.max(1_000, Math.ceil(count / 10));
  let done = 0;
  const started = performance.now();
  await forEachLimit(ids, 64, async (id) => {
    await provider.create(id, '1.75', deadline);
    if (++done % step === 0 || done === count) {
      const s = (performance.now() - started) / 1000;
      progress(
        `created ${done.toLocaleString('en-US')}/${count.toLocaleString('en-US')} events (${s.toFixed(1)} s)`,
      );
    }
  });
  return ids;
}
