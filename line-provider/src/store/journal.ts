import type { EventRecord } from '../domain/event.js';

/**
 * Where the store makes a change durable before it applies and publishes it. The store calls `append` one change
 * at a time, in revision order, and answers the client only after it resolved; a rejection fails the mutation
 * and leaves memory untouched. A file journal (append + fsync, replayed at start) plugs in here.
 */
export interface Journal {
  append(change: EventRecord): Promise<void>;
}

/** Memory only: nothing survives a restart. The default until `LINE_PROVIDER_DATA_DIR` exists. */
export const memoryOnly: Journal = {
  append: () => Promise.resolve(),
};
