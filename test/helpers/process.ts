/** Child processes, free ports and deadlines for tests that start real services. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export interface Started {
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits up to `timeoutMs` for the exit; SIGKILLs and rejects when that passes. */
  stop(
    signal: NodeJS.Signals,
    timeoutMs: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface StartOptions {
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

/** Starts `argv` with exactly `options.env` (nothing inherited) and collects its output. */
export function start(argv: string[], options: StartOptions): Started {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    uid: options.uid,
    gid: options.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      output += `\nspawn error: ${error.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  return {
    child,
    output: () => output,
    exited,
    async stop(signal, timeoutMs) {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`still running ${timeoutMs} ms after ${signal}; killed`));
        }, timeoutMs);
      });
      try {
        const result = await Promise.race([exited, timeout]);
        return { ...result, ms: Date.now() - started };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a command to completion with a time limit (like a container healthcheck). */
export async function runToEnd(
  argv: string[],
  options: StartOptions & { timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  const proc = start(argv, options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ code: null }>((resolve) => {
    timer = setTimeout(() => {
      proc.child.kill('SIGKILL');
      resolve({ code: null });
    }, options.timeoutMs);
  });
  const { code } = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  return { code, output: proc.output() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections at host:port. */
export function canConnect(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Calls `check` until it returns a value other than undefined, or throws when `timeoutMs` passed; the last
 * error or `describe()` says what was still missing. For conditions only observable from outside (a
 * process becoming ready, an asynchronous settlement), never as a stand-in for awaiting a known event.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  {
    timeoutMs,
    intervalMs = 100,
    describe,
  }: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms. ${last}${describe ? `\n${describe()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
