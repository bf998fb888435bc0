/** A promise-returning view of line-provider's generated gRPC client, for end-to-end tests. */
import { credentials, Metadata } from '@grpc/grpc-js';
import {
  EventStatus,
  LineProviderServiceClient,
  type Event,
} from '../../line-provider/src/gen/lineprovider/v1/line_provider.js';

export { EventStatus, type Event };

export interface LineProvider {
  createEvent(eventId: string, coefficient: string, deadline: Date): Promise<Event>;
  finishEvent(eventId: string, status: EventStatus): Promise<Event>;
  close(): void;
}

/** A client of the line-provider at `target` (`host:port`), plaintext as in compose; `token` for its writes. */
export function lineProviderClient(target: string, token?: string): LineProvider {
  const client = new LineProviderServiceClient(target, credentials.createInsecure());
  const metadata = () => {
    const m = new Metadata();
    if (token !== undefined) m.set('authorization', `Bearer ${token}`);
    return m;
  };
  const deadline = () => ({ deadline: Date.now() + 10_000 });
  return {
    createEvent: (eventId, coefficient, eventDeadline) =>
      new Promise((resolve, reject) =>
        client.createEvent(
          { eventId, coefficient, deadline: eventDeadline },
          metadata(),
          deadline(),
          (error, response) => (error ? reject(error) : resolve(response.event!)),
        ),
      ),
    finishEvent: (eventId, status) =>
      new Promise((resolve, reject) =>
        client.updateEventStatus({ eventId, status }, metadata(), deadline(), (error, response) =>
          error ? reject(error) : resolve(response.event!),
        ),
      ),
    close: () => client.close(),
  };
}
