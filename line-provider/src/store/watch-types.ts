import type { EventRecord } from '../domain/event.js';

/** Receives each change, in revision order, synchronously inside the mutation that made it. Must not throw. */
export type ChangeListener = (change: EventRecord) => void;

/** Where a reconnecting watcher stopped: the instance it talked to and the last revision it applied. */
export interface ResumePoint {
  readonly instanceId: string;
  readonly revision: number;
}

/** What a new watcher is sent first; live changes after `revision` then arrive through its listener. */
export type WatchStart =
  | {
      readonly kind: 'snapshot';
      /** The store's revision when the snapshot was copied. */
      readonly revision: number;
      /** Every event, ordered by id. */
      readonly events: readonly EventRecord[];
      readonly unsubscribe: () => void;
    }
  | {
      readonly kind: 'resumed';
      /** The revision the watcher asked to resume from. */
      readonly revision: number;
      /** The changes it missed, oldest first (possibly none). */
      readonly changes: readonly EventRecord[];
      readonly unsubscribe: () => void;
    };
