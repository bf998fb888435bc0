import type { EventRecord } from '../domain/event.js';

/**
 * Where the store makes a change durable before it applies and publishes it (a file journal when
 * `LINE_PROVIDER_DATA_DIR` is set, see file-journal/). The store answers the client only after `append` resolved;
 * a rejection fails the mutation and leaves memory untouched.
 *
 * The store may call `append` again before the previous call settled (so that a journal can fsync several changes
 * at once), always in revision order, each revision exactly one more than the last. A journal must therefore:
 * - settle appends in call order;
 * - when one fails, fail every append it already received after it too, and keep none of their lines: each of them
 *   was decided on top of the failed change, which the store is about to forget.
 */
export interface Journal {
  append(change: EventRecord): Promise<void>;
}

/** Memory only: nothing survives a restart. The default when `LINE_PROVIDER_DATA_DIR` is not set. */
export const memoryOnly: Journal = {
  append: () => Promise.resolve(),
};
