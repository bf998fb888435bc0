import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { ExecutionContext } from 'ava';

const WORKSPACE = fileURLToPath(new URL('..', import.meta.url));

/** line-provider as its own process, as `npm start -w line-provider` runs it. */
export interface Running {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `node --import tsx src/main.ts` with `env` (plus PATH); settles with its exit when it ends. */
export function spawnLineProvider(
  t: ExecutionContext,
  env: Record<string, string>,
): { child: ChildProcess; exited: Running['exited']; output(): string; listening: Promise<Running> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: WORKSPACE,
    env: {
      PATH: process.env['PATH'] ?? '',
      LINE_PROVIDER_HOST: '127.0.0.1',
      LINE_PROVIDER_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<Running>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.includes('"line-provider listening"'));
      if (line === undefined) return;
      const { port, metricsPort } = JSON.parse(line) as { port: number; metricsPort?: number };
      resolve({ child, port, metricsPort, exited, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(({ code, signal }) =>
      reject(new Error(`exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  return { child, exited, output: () => output, listening };
}
