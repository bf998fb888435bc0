import type { EventStatus as Status } from '../domain/bet.js';
import { EVENT_ID } from '../domain/bet.js';
import { formatCents, parseDecimal } from '../domain/decimal.js';
import type { EventRecord } from '../domain/event.js';
import { EventStatus, type Event } from '../gen/lineprovider/v1/line_provider.js';

/** The provider sent something that breaks the protocol; the watcher resyncs from a fresh snapshot. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Largest coefficient that fits numeric(12,2), in hundredths. */
const MAX_COEFFICIENT = 10n ** 12n - 1n;

const STATUS: Partial<Record<EventStatus, Status>> = {
  [EventStatus.EVENT_STATUS_NEW]: 'NEW',
  [EventStatus.EVENT_STATUS_FINISHED_WIN]: 'FINISHED_WIN',
  [EventStatus.EVENT_STATUS_FINISHED_LOSE]: 'FINISHED_LOSE',
};

/**
 * A coefficient already in canonical form (two places, at most 10 whole digits, so within numeric(12,2)):
 * the provider's usual spelling, taken as it is without the bigint round trip (a snapshot has 100,000).
 */
const CANONICAL_COEFFICIENT = /^(?:0|[1-9]\d{0,9})\.\d\d$/;

/** Validates and converts a wire event; anything that could not be stored is a protocol error. */
export function toEventRecord(e: Event | undefined): EventRecord {
  if (e === undefined) throw new ProtocolError('change without an event');
  const status = STATUS[e.status];
  if (!EVENT_ID.test(e.eventId)) throw new ProtocolError(`bad event id ${JSON.stringify(e.eventId)}`);
  if (status === undefined) throw new ProtocolError(`event ${e.eventId}: bad status ${e.status}`);
  const coefficient = canonicalCoefficient(e.coefficient);
  if (coefficient === undefined) {
    throw new ProtocolError(`event ${e.eventId}: bad coefficient ${JSON.stringify(e.coefficient)}`);
  }
  if (e.deadline === undefined || Number.isNaN(e.deadline.getTime())) {
    throw new ProtocolError(`event ${e.eventId}: no deadline`);
  }
  if (!/^\d+$/.test(e.revision)) throw new ProtocolError(`event ${e.eventId}: bad revision`);
  return {
    id: e.eventId,
    coefficient,
    deadline: e.deadline,
    status,
    revision: e.revision,
  };
}

/** The two-place form of a positive coefficient that fits numeric(12,2); undefined when there is none. */
function canonicalCoefficient(text: string): string | undefined {
  if (CANONICAL_COEFFICIENT.test(text)) return text === '0.00' ? undefined : text;
  const cents = parseDecimal(text);
  if (typeof cents !== 'bigint' || cents <= 0n || cents > MAX_COEFFICIENT) return undefined;
  return formatCents(cents);
}
