import { InvalidArgumentError } from './errors.js';
import type { FinalStatus } from './event.js';

const COEFFICIENT = /^(\d{1,9})(?:\.(\d{1,2}))?$/;

/**
 * Parses a coefficient: a plain decimal string (no sign, exponent or spaces), at most 9 integer digits and 2
 * decimal places, strictly positive. Returns the canonical form with exactly two places ("1.5" -> "1.50",
 * "007" -> "7.00"), which is what the event stores and what every client sees, so that equal values compare equal.
 */
export function parseCoefficient(raw: string, field = 'coefficient'): string {
  const match = COEFFICIENT.exec(raw);
  if (match === null) {
    throw new InvalidArgumentError(
      field,
      `must be a decimal string with at most 2 decimal places, e.g. "1.75"; got ${JSON.stringify(raw)}`,
    );
  }
  const whole = (match[1] ?? '0').replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').padEnd(2, '0');
  if (whole === '0' && fraction === '00') {
    throw new InvalidArgumentError(field, `must be greater than 0; got ${JSON.stringify(raw)}`);
  }
  return `${whole}.${fraction}`;
}

// The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const MIN_TIMESTAMP_MS = -62_135_596_800_000;
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * Parses a required deadline. A deadline in the past is accepted on purpose: it is a valid event that simply takes
 * no bets, and tests of bet-maker need such events.
 */
export function parseDeadline(raw: Date | undefined, field = 'deadline'): number {
  if (raw === undefined) {
    throw new InvalidArgumentError(field, 'is required');
  }
  const ms = raw.getTime();
  if (!Number.isFinite(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    throw new InvalidArgumentError(field, 'is not a valid timestamp (years 0001 to 9999)');
  }
  return ms;
}

/** 1 to 64 printable ASCII characters (0x20 to 0x7e), as the proto documents. */
const EVENT_ID = /^[\x20-\x7e]{1,64}$/;

/** Validates the id of an existing event (GetEvent, UpdateEvent, ...). */
export function parseEventId(raw: string, field = 'event_id'): string {
  if (raw === '') {
    throw new InvalidArgumentError(field, 'is required');
  }
  if (!EVENT_ID.test(raw)) {
    throw new InvalidArgumentError(field, 'must be 1 to 64 printable ASCII characters');
  }
  return raw;
}

/** Validates the id of a new event; empty means "generate one". */
export function parseNewEventId(raw: string, generate: () => string): string {
  return raw === '' ? generate() : parseEventId(raw);
}

/** The only statuses UpdateEventStatus may set. */
export function parseFinalStatus(raw: string, field = 'status'): FinalStatus {
  if (raw === 'FINISHED_WIN' || raw === 'FINISHED_LOSE') {
    return raw;
  }
  throw new InvalidArgumentError(field, 'must be EVENT_STATUS_FINISHED_WIN or EVENT_STATUS_FINISHED_LOSE');
}
