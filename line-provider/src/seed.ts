import type { EventStore } from './store/event-store.js';

const HOUR_MS = 3_600_000;

/**
 * A few open events (ids `demo-1` to `demo-4`, deadlines 2 to 8 hours ahead) so that a new user sees something at
 * once. An id that exists is left as it is (with a journal, a restart finds them, perhaps finished, and their
 * deadline would differ): resolves with how many were added.
 */
export async function seedDemoEvents(store: EventStore, now: Date = new Date()): Promise<number> {
  const demo = [
    { eventId: 'demo-1', coefficient: '1.75', hours: 2 },
    { eventId: 'demo-2', coefficient: '2.10', hours: 4 },
    { eventId: 'demo-3', coefficient: '3.50', hours: 6 },
    { eventId: 'demo-4', coefficient: '1.20', hours: 8 },
  ];
  // Deadlines on a whole hour, so that the demo looks tidy in every listing.
  const base = Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS;
  let added = 0;
  for (const { eventId, coefficient, hours } of demo) {
    if (store.has(eventId)) continue;
    await store.create({ eventId, coefficient, deadline: new Date(base + hours * HOUR_MS) });
    added += 1;
  }
  return added;
}
