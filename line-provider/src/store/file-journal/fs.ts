import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';

/** An open file, as the journal uses it: positional writes, so a truncation never leaves a hole. */
export interface JournalFile {
  /** Writes at `position`; resolves with the bytes written (possibly fewer: call again with the rest). */
  write(data: Buffer, position: number): Promise<number>;
  /** fdatasync: the data and the size, which is all an append needs. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** The file system operations of the journal; tests inject failures through this. */
export interface JournalFs {
  mkdir(dir: string): Promise<void>;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** `flags` as node:fs: 'r+' an existing file, 'w+' create or empty one. */
  open(path: string, flags: 'r+' | 'w+'): Promise<JournalFile>;
  rename(from: string, to: string): Promise<void>;
  /** Removes the file if it exists; false when there was none. */
  remove(path: string): Promise<boolean>;
  /** fsync of a directory: makes the creation, rename or removal of its entries durable. */
  syncDir(dir: string): Promise<void>;
}

const isMissing = (error: unknown): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';

function wrap(handle: FileHandle): JournalFile {
  return {
    write: async (data, position) => (await handle.write(data, 0, data.length, position)).bytesWritten,
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}

/** The real file system (node:fs/promises). */
export const nodeFs: JournalFs = {
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  readFile: async (path) => {
    try {
      return await readFile(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  open: async (path, flags) => wrap(await open(path, flags)),
  rename: (from, to) => rename(from, to),
  remove: async (path) => {
    try {
      await unlink(path);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  },
  syncDir: async (dir) => {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
