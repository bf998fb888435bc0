import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { ExecutionContext } from 'ava';
import type { Logger } from 'pino';
import { pino } from 'pino';

import type { EventRecord } from '../src/domain/event.js';
import { encodeLine } from '../src/store/file-journal/codec.js';
import type { DataFiles } from '../src/store/file-journal/files.js';
import { dataFiles } from '../src/store/file-journal/files.js';
import type { JournalFile, JournalFs } from '../src/store/file-journal/fs.js';
import { nodeFs } from '../src/store/file-journal/fs.js';

/** A fresh data directory, removed when the test ends. */
export async function tempDataDir(t: ExecutionContext): Promise<DataFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'line-provider-journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dataFiles(dir);
}

/** A journaled record; by default event `e<revision>`, NEW. */
export function record(revision: number, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    eventId: `e${revision}`,
    coefficient: '1.50',
    deadlineMs: 1_900_000_000_000,
    status: 'NEW',
    revision,
    ...overrides,
  };
}

/** Writes `values` as checksummed lines, as the journal and the snapshot do. */
export async function writeLines(path: string, values: readonly unknown[]): Promise<void> {
  await writeFile(path, values.map((value) => encodeLine(value)).join(''));
}

/** A snapshot file at `revision` holding `records`. */
export async function writeSnapshotFile(
  path: string,
  revision: number,
  records: EventRecord[],
): Promise<void> {
  await writeLines(path, [{ snapshot: 1, revision, events: records.length }, ...records]);
}

/** The lines of a file (without the last newline). */
export async function linesOf(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

/** File system operations a test can make fail. */
export type FailPoint = 'datasync' | 'rename' | 'syncDir';

/**
 * node:fs with failures on demand: `failNext(point)` makes the next such call reject with EIO (a failed datasync
 * still leaves the written bytes in the file, as a real failure may). Counts datasync calls.
 */
export class FaultyFs implements JournalFs {
  datasyncs = 0;
  /** Failures that happened. */
  readonly tripped: string[] = [];
  private readonly armed = new Map<FailPoint, { path: RegExp; skip: number }>();

  /** A `point` call on a path matching `path` (default any) fails once, after `skip` such calls succeeded. */
  failNext(point: FailPoint, path = /./, skip = 0): void {
    this.armed.set(point, { path, skip });
  }

  private trip(point: FailPoint, path: string): void {
    const armed = this.armed.get(point);
    if (armed === undefined || !armed.path.test(path)) return;
    if (armed.skip > 0) {
      armed.skip -= 1;
      return;
    }
    this.armed.delete(point);
    this.tripped.push(`${point} ${path}`);
    throw Object.assign(new Error(`EIO: injected ${point} failure`), { code: 'EIO' });
  }

  mkdir = (dir: string): Promise<void> => nodeFs.mkdir(dir);
  readFile = (path: string): Promise<Buffer | undefined> => nodeFs.readFile(path);
  remove = (path: string): Promise<boolean> => nodeFs.remove(path);

  async open(path: string, flags: 'r+' | 'w+'): Promise<JournalFile> {
    const file = await nodeFs.open(path, flags);
    return {
      write: (data, position) => file.write(data, position),
      truncate: (length) => file.truncate(length),
      close: () => file.close(),
      datasync: async () => {
        this.datasyncs += 1;
        this.trip('datasync', path);
        await file.datasync();
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    this.trip('rename', from);
    await nodeFs.rename(from, to);
  }

  async syncDir(dir: string): Promise<void> {
    this.trip('syncDir', dir);
    await nodeFs.syncDir(dir);
  }
}
