import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { EventRecord } from '../../domain/event.js';

/*
 * Line format of the journal and the snapshot: `<checksum> <json>\n`, where the checksum is the first 16 hex digits
 * of the SHA-256 of the JSON text. A crash in the middle of an append can leave a partial line, or blocks of
 * zeros where the data had not reached the disk; the checksum tells such a line from a good one with certainty,
 * which JSON parsing alone does not (a line cut after a digit may still parse).
 */
const CHECKSUM_LENGTH = 16;

function checksum(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, CHECKSUM_LENGTH);
}

export function encodeLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${checksum(json)} ${json}\n`;
}

export type Decoded =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** Checks and parses one line (without its newline). */
export function decodeLine(line: string): Decoded {
  if (line.indexOf(' ') !== CHECKSUM_LENGTH) return { ok: false, reason: 'no checksum' };
  const json = line.slice(CHECKSUM_LENGTH + 1);
  if (checksum(json) !== line.slice(0, CHECKSUM_LENGTH)) return { ok: false, reason: 'checksum mismatch' };
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

/** A record as journaled: exactly the store's EventRecord (a checksum matched, so this only guards against bugs). */
export const recordSchema = z.object({
  eventId: z.string().regex(/^[\x20-\x7e]{1,64}$/),
  coefficient: z.string().regex(/^\d{1,9}\.\d{2}$/),
  deadlineMs: z.number().int(),
  status: z.enum(['NEW', 'FINISHED_WIN', 'FINISHED_LOSE']),
  revision: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
}) satisfies z.ZodType<EventRecord>;

/** First line of a snapshot file. */
export const snapshotHeaderSchema = z.object({
  snapshot: z.literal(1),
  revision: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  events: z.number().int().nonnegative(),
});
export type SnapshotHeader = z.infer<typeof snapshotHeaderSchema>;

/** A file's complete lines with where each ends, and the bytes after the last newline (a torn append). */
export interface SplitLines {
  readonly lines: { readonly text: string; readonly end: number }[];
  /** Bytes after the last newline; more than 0 only when the last append was cut short. */
  readonly trailing: number;
}

/** Splits on the newline byte (not on decoded text), so that `end` is a byte offset even in garbage. */
export function splitLines(data: Buffer): SplitLines {
  const lines: { text: string; end: number }[] = [];
  let start = 0;
  for (let newline = data.indexOf(0x0a, start); newline !== -1; newline = data.indexOf(0x0a, start)) {
    lines.push({ text: data.toString('utf8', start, newline), end: newline + 1 });
    start = newline + 1;
  }
  return { lines, trailing: data.length - start };
}
