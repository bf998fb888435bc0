import { randomUUID } from 'node:crypto';

import { NotFoundError } from '../domain/errors.js';
import type { EventRecord, FinalStatus } from '../domain/event.js';
import type { Plan } from '../domain/transitions.js';
import { planCreate, planFinish, planUpdate } from '../domain/transitions.js';
import {
  parseCoefficient,
  parseDeadline,
  parseEventId,
  parseFinalStatus,
  parseNewEventId,
} from '../domain/validation.js';
import { ChangeRing } from './change-ring.js';
import type { Journal } from './journal.js';
import { memoryOnly } from './journal.js';
import { SortedRecords } from './sorted-records.js';
import type { CreateEventInput, MutationResult, UpdateEventInput } from './inputs.js';
import type { ChangeListener, ResumePoint, WatchStart } from './watch-types.js';

export type { CreateEventInput, MutationResult, UpdateEventInput } from './inputs.js';

/** Options of {@link EventStore}; every one has a default. */
export interface EventStoreOptions {
  /** Identifies this process's memory to watchers; default a random UUID. */
  readonly instanceId?: string;
  /** Recent changes kept for resuming watchers; default 10000. */
  readonly changeRingSize?: number;
  /** Where changes are made durable first; default {@link memoryOnly}. */
  readonly journal?: Journal;
  /** Id for a CreateEvent without one; default `randomUUID()`. */
  readonly generateId?: () => string;
}

/**
 * The events, in memory, with a global revision. Each change increments the revision, stamps the event with it,
 * goes to the journal, then is applied and published to watchers in the same synchronous step. Mutations are
 * serialised (one at a time, in call order) so that an asynchronous journal cannot reorder or interleave them.
 */
export class EventStore {
  readonly instanceId: string;
  private readonly byId = new Map<string, EventRecord>();
  private readonly sorted = new SortedRecords();
  private readonly ring: ChangeRing;
  private readonly listeners = new Set<ChangeListener>();
  private readonly journal: Journal;
  private readonly generateId: () => string;
  private currentRevision = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: EventStoreOptions = {}) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.ring = new ChangeRing(options.changeRingSize ?? 10_000);
    this.journal = options.journal ?? memoryOnly;
    this.generateId = options.generateId ?? randomUUID;
  }

  /** Revision of the last change; 0 before the first. */
  get revision(): number {
    return this.currentRevision;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Watchers currently registered. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** The event, or {@link NotFoundError}. Validates the id first. */
  get(eventId: string): EventRecord {
    const event = this.byId.get(parseEventId(eventId));
    if (event === undefined) throw new NotFoundError(eventId);
    return event;
  }

  /** Up to `limit` events ordered by id, after `afterId`. */
  list(afterId: string | undefined, limit: number): { events: EventRecord[]; more: boolean } {
    const { records, more } = this.sorted.page(afterId, limit);
    return { events: records, more };
  }

  /** Every event ordered by id. */
  all(): EventRecord[] {
    return this.sorted.all();
  }

  /** Adds a NEW event; the same content again returns the stored event unchanged (ALREADY_EXISTS otherwise). */
  async create(input: CreateEventInput): Promise<MutationResult> {
    const wanted = {
      eventId: parseNewEventId(input.eventId ?? '', this.generateId),
      coefficient: parseCoefficient(input.coefficient),
      deadlineMs: parseDeadline(input.deadline),
      status: 'NEW' as const,
    };
    return this.mutate(() => planCreate(this.byId.get(wanted.eventId), wanted));
  }

  /** Changes the coefficient and/or deadline of a NEW event (FAILED_PRECONDITION once finished). */
  async update(eventId: string, input: UpdateEventInput): Promise<MutationResult> {
    const id = parseEventId(eventId);
    const patch = {
      ...(input.coefficient === undefined ? {} : { coefficient: parseCoefficient(input.coefficient) }),
      ...(input.deadline === undefined ? {} : { deadlineMs: parseDeadline(input.deadline) }),
    };
    return this.mutate(() => planUpdate(this.get(id), patch));
  }

  /** Finishes an event; the same final status again is a no-op, any other change FAILED_PRECONDITION. */
  async finish(eventId: string, status: FinalStatus): Promise<MutationResult> {
    const id = parseEventId(eventId);
    const target = parseFinalStatus(status);
    return this.mutate(() => planFinish(this.get(id), target));
  }

  /**
   * Registers `listener` for every change after the returned revision and returns, in the same synchronous step
   * (there is no await in here), what the watcher needs first: either a snapshot of every event, or, when
   * `resume` names this instance and a revision whose later changes are all still in the ring, just those changes.
   * Either way nothing is missed or repeated between what is returned and what the listener receives.
   * The listener runs inside the mutation and must not throw; call `unsubscribe` when done.
   */
  watch(listener: ChangeListener, resume?: ResumePoint): WatchStart {
    const subscription: ChangeListener = (change) => listener(change);
    this.listeners.add(subscription);
    const unsubscribe = (): void => {
      this.listeners.delete(subscription);
    };
    const revision = this.currentRevision;
    if (resume !== undefined && resume.instanceId === this.instanceId) {
      const changes = this.ring.since(resume.revision, revision);
      if (changes !== undefined) return { kind: 'resumed', revision: resume.revision, changes, unsubscribe };
    }
    return { kind: 'snapshot', revision, events: this.sorted.all(), unsubscribe };
  }

  private mutate(decide: () => Plan): Promise<MutationResult> {
    const run = async (): Promise<MutationResult> => {
      const plan = decide();
      if (!plan.changed) return { event: plan.event, changed: false };
      const record: EventRecord = Object.freeze({ ...plan.next, revision: this.currentRevision + 1 });
      await this.journal.append(record);
      this.apply(record);
      return { event: record, changed: true };
    };
    const result = this.tail.then(run);
    // The next mutation waits for this one whatever its outcome.
    this.tail = result.catch(() => undefined);
    return result;
  }

  private apply(record: EventRecord): void {
    this.byId.set(record.eventId, record);
    this.sorted.upsert(record);
    this.currentRevision = record.revision;
    this.ring.push(record);
    for (const listener of this.listeners) listener(record);
  }
}
