import type { EventRecord } from '../../domain/event.js';
import type { Decoded } from './codec.js';
import { decodeLine, recordSchema, snapshotHeaderSchema, splitLines } from './codec.js';

/** The data directory holds a damaged file; start-up stops with this message rather than guess. */
export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
}

/** Every event and the global revision, as rebuilt so far. */
export interface ReplayState {
  readonly records: Map<string, EventRecord>;
  readonly revision: number;
}

export const emptyState = (): ReplayState => ({ records: new Map(), revision: 0 });

/** What the journal file added to the snapshot. */
export interface JournalReplay extends ReplayState {
  /** Good lines in the file (including those the snapshot already covers). */
  readonly lines: number;
  /** Bytes up to the end of the last good line: the file is truncated to this when a torn line follows. */
  readonly validBytes: number;
  /** The last line, cut short by a crash mid-append: dropped (it was never acknowledged). */
  readonly torn?: { readonly line: number; readonly bytes: number; readonly reason: string };
}

function parse<T>(
  decoded: Decoded,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
): { ok: true; value: T } | { ok: false; reason: string } {
  if (!decoded.ok) return decoded;
  const parsed = schema.safeParse(decoded.value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: 'not a valid record' };
}

/**
 * A snapshot file. It is written to a temporary file, fsynced and renamed into place, so it is never torn: any
 * defect is real damage and fatal.
 */
export function parseSnapshot(data: Buffer, path: string): ReplayState {
  const { lines, trailing } = splitLines(data);
  const damaged = (line: number, why: string): JournalCorruptError =>
    new JournalCorruptError(
      `snapshot ${path} is damaged at line ${line}: ${why}. Snapshots are renamed into place complete, so this ` +
        'is not a crash: restore the data directory from a backup, or move it away to start empty (losing its events)',
    );
  if (trailing > 0) throw damaged(lines.length + 1, 'the last line is incomplete');
  const [first, ...rest] = lines;
  if (first === undefined) throw damaged(1, 'the file is empty');
  const header = parse(decodeLine(first.text), snapshotHeaderSchema);
  if (!header.ok) throw damaged(1, `bad header (${header.reason})`);
  const records = new Map<string, EventRecord>();
  rest.forEach((line, index) => {
    const record = parse(decodeLine(line.text), recordSchema);
    if (!record.ok) throw damaged(index + 2, record.reason);
    if (record.value.revision > header.value.revision)
      throw damaged(index + 2, 'revision beyond the snapshot');
    if (records.has(record.value.eventId)) throw damaged(index + 2, 'event listed twice');
    records.set(record.value.eventId, record.value);
  });
  if (records.size !== header.value.events) {
    throw damaged(lines.length, `${records.size} events where the header announces ${header.value.events}`);
  }
  return { records, revision: header.value.revision };
}

/**
 * Replays a journal file on top of `base` (the snapshot, or nothing). Revisions must follow each other by one.
 * Lines at or below the snapshot's revision are skipped: they are left over when a crash came after a compaction
 * renamed its snapshot into place and before it replaced the journal. Only the last line may be bad (an append cut
 * short by a crash, which was never acknowledged): it is reported in `torn`. A bad line anywhere else is fatal.
 */
export function parseJournal(data: Buffer, path: string, base: ReplayState): JournalReplay {
  const { lines, trailing } = splitLines(data);
  const records = new Map(base.records);
  let revision = base.revision;
  let previous: number | undefined;
  let validBytes = 0;
  const damaged = (line: number, why: string): JournalCorruptError =>
    new JournalCorruptError(
      `journal ${path} is damaged at line ${line} of ${lines.length + (trailing > 0 ? 1 : 0)}: ${why}. Only the ` +
        'last line may be incomplete (a crash mid-append); a bad line followed by others means the file was ' +
        'altered or the disk failed. line-provider does not guess: restore the data directory from a backup, or ' +
        'move it away to start empty (losing its events)',
    );
  for (const [index, line] of lines.entries()) {
    const record = parse(decodeLine(line.text), recordSchema);
    if (!record.ok) {
      const isLast = index === lines.length - 1 && trailing === 0;
      if (isLast) {
        return {
          records,
          revision,
          lines: index,
          validBytes,
          torn: { line: index + 1, bytes: data.length - validBytes, reason: record.reason },
        };
      }
      throw damaged(index + 1, record.reason);
    }
    const { value } = record;
    if (previous !== undefined && value.revision !== previous + 1) {
      throw damaged(index + 1, `revision ${value.revision} follows ${previous}`);
    }
    previous = value.revision;
    if (value.revision > base.revision) {
      if (value.revision !== revision + 1) {
        throw damaged(
          index + 1,
          `revision ${value.revision} where ${revision + 1} was expected (changes are missing)`,
        );
      }
      records.set(value.eventId, value);
      revision = value.revision;
    }
    validBytes = line.end;
  }
  if (trailing > 0) {
    return {
      records,
      revision,
      lines: lines.length,
      validBytes,
      torn: { line: lines.length + 1, bytes: trailing, reason: 'incomplete line' },
    };
  }
  return { records, revision, lines: lines.length, validBytes };
}
