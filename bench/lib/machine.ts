import { execFile } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { createBenchDatabase, serverKind, serverVersion } from './database.js';

const exec = promisify(execFile);

/** What the numbers were measured on. */
export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  freeH: string;
  node: string;
  postgres: string;
  postgresServer: string;
  loadAverageBefore: [number, number, number];
  loadAverageAfter?: [number, number, number];
  gitCommit: string;
  gitDirty: boolean;
}

const run = async (file: string, args: string[]): Promise<string> =>
  exec(file, args).then(
    (r) => r.stdout.trim(),
    () => 'unknown',
  );

export async function describeMachine(): Promise<Machine> {
  const db = await createBenchDatabase(1);
  let postgres: string;
  try {
    postgres = await serverVersion(db.pool);
  } finally {
    await db.drop();
  }
  const [l1, l5, l15] = loadavg();
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeH: await run('free', ['-h']),
    node: process.version,
    postgres,
    postgresServer: (await serverKind()).kind,
    loadAverageBefore: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    gitCommit: await run('git', ['rev-parse', '--short', 'HEAD']),
    gitDirty:
      (await run('git', ['status', '--porcelain', '--', 'bet-maker/src', 'line-provider/src'])) !== '',
  };
}
