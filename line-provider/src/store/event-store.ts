import { randomUUID } from 'node:crypto';

import { NotFoundError } from '../domain/errors.js';
import type { EventRecord, EventStatus, FinalStatus } from '../domain/event.js';
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
import { CommitQueue } from './commit-queue.js';
import type { Journal } from './journal.js';
import { memoryOnly } from './journal.js';
import { EventIndex } from './event-index.js';
import type { CreateEventInput, MutationResult, RestoredState, UpdateEventInput } from './inputs.js';
import type { ChangeListener, ResumePoint, WatchStart } from './watch-types.js';

export type { CreateEventInput, MutationResult, RestoredState, UpdateEventInput } from './inputs.js';

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
 * goes to the journal, then is applied and published to watchers in one synchronous step. Mutations are decided
 * one at a time, in call order, each against the newest decided state (including changes still being journaled,
 * see {@link CommitQueue}); they are made durable and applied in revision order, and a mutation answers only once
 * its change (or, for a no-op or an error, everything decided before it) is applied.
 */
export class EventStore {
  readonly instanceId: string;
  private readonly events = new EventIndex();
  private readonly ring: ChangeRing;
  private readonly listeners = new Set<ChangeListener>();
  private commits: CommitQueue;
  private readonly generateId: () => string;
  private currentRevision = 0;

  constructor(options: EventStoreOptions = {}) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.ring = new ChangeRing(options.changeRingSize ?? 10_000);
    this.commits = new CommitQueue(options.journal ?? memoryOnly, (record) => this.apply(record));
    this.generateId = options.generateId ?? randomUUID;
  }

  /** Revision of the last change; 0 before the first. */
  get revision(): number {
    return this.currentRevision;
  }

  get size(): number {
    return this.events.size;
  }

  /** Events per status, for metrics. */
  countByStatus(): Readonly<Record<EventStatus, number>> {
    return this.events.countByStatus();
  }

  /** Watchers currently registered. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** The event, or {@link NotFoundError}. Validates the id first. */
  get(eventId: string): EventRecord {
    const event = this.events.get(parseEventId(eventId));
    if (event === undefined) throw new NotFoundError(eventId);
    return event;
  }

  /** Whether an event with this id is stored (changes still being journaled do not count). */
  has(eventId: string): boolean {
    return this.events.get(eventId) !== undefined;
  }

  /** Up to `limit` events ordered by id, after `afterId`. */
  list(afterId: string | undefined, limit: number): { events: EventRecord[]; more: boolean } {
    const { records, more } = this.events.page(afterId, limit);
    return { events: records, more };
  }

  /** Every event ordered by id. */
  all(): EventRecord[] {
    return this.events.all();
  }

  /** Adds a NEW event; the same content again returns the stored event unchanged (ALREADY_EXISTS otherwise). */
  async create(input: CreateEventInput): Promise<MutationResult> {
    const wanted = {
      eventId: parseNewEventId(input.eventId ?? '', this.generateId),
      coefficient: parseCoefficient(input.coefficient),
      deadlineMs: parseDeadline(input.deadline),
      status: 'NEW' as const,
    };
    return this.mutate(() => planCreate(this.newest(wanted.eventId), wanted));
  }

  /** Changes the coefficient and/or deadline of a NEW event (FAILED_PRECONDITION once finished). */
  async update(eventId: string, input: UpdateEventInput): Promise<MutationResult> {
    const id = parseEventId(eventId);
    const patch = {
      ...(input.coefficient === undefined ? {} : { coefficient: parseCoefficient(input.coefficient) }),
      ...(input.deadline === undefined ? {} : { deadlineMs: parseDeadline(input.deadline) }),
    };
    return this.mutate(() => planUpdate(this.existing(id), patch));
  }

  /** Finishes an event; the same final status again is a no-op, any other change FAILED_PRECONDITION. */
  async finish(eventId: string, status: FinalStatus): Promise<MutationResult> {
    const id = parseEventId(eventId);
    const target = parseFinalStatus(status);
    return this.mutate(() => planFinish(this.existing(id), target));
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
    return { kind: 'snapshot', revision, events: this.events.all(), unsubscribe };
  }

  /**
   * Loads the state a journal replay rebuilt and sends every later change to `journal`. Nothing is published: no
   * watcher can exist yet. Only for a store that is still empty, with no watcher and no change in flight.
   */
  restore(state: RestoredState, journal: Journal): void {
    if (
      this.events.size > 0 ||
      this.currentRevision > 0 ||
      this.listeners.size > 0 ||
      this.commits.size > 0
    ) {
      throw new Error('restore() needs an empty store without watchers: replay the journal before serving');
    }
    const records = [...state.records].map((record) => Object.freeze({ ...record }));
    const beyond = records.find((record) => record.revision > state.revision);
    if (beyond !== undefined)
      throw new Error(`event ${beyond.eventId} is newer than revision ${state.revision}`);
    this.events.load(records);
    this.currentRevision = state.revision;
    this.commits = new CommitQueue(journal, (record) => this.apply(record));
  }

  private mutate(decide: () => Plan): Promise<MutationResult> {
    let plan: Plan;
    try {
      plan = decide();
    } catch (error) {
      return this.commits.barrier().then(() => Promise.reject(error as Error));
    }
    if (!plan.changed) {
      const { event } = plan;
      return this.commits.barrier().then(() => ({ event, changed: false }));
    }
    const revision = (this.commits.lastRevision ?? this.currentRevision) + 1;
    const record: EventRecord = Object.freeze({ ...plan.next, revision });
    return this.commits.submit(record).then(() => ({ event: record, changed: true }));
  }

  /** The newest decided record, in flight or applied. */
  private newest(eventId: string): EventRecord | undefined {
    return this.commits.latest(eventId) ?? this.events.get(eventId);
  }

  private existing(eventId: string): EventRecord {
    const event = this.newest(eventId);
    if (event === undefined) throw new NotFoundError(eventId);
    return event;
  }

  private apply(record: EventRecord): void {
    this.events.put(record);
    this.currentRevision = record.revision;
    this.ring.push(record);
    for (const listener of this.listeners) listener(record);
  }
}
