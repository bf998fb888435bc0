/**
 * The two services as real child processes (`node --import tsx <service>/src/main.ts`), for faults that
 * need a process: SIGKILL, SIGSTOP/SIGCONT, a restart. Each child is killed in the test's teardown, even
 * when the test failed, and when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { within } from './wait-for.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** One JSON log line of a pino logger. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** A running service process and its log. */
export class ServiceProcess extends EventEmitter<{ line: [LogLine] }> {
  readonly lines: LogLine[] = [];
  /** Raw output that was not a JSON line (stack traces, tsx errors). */
  raw = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    super();
    alive.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        alive.delete(child);
        resolve({ code, signal });
      });
    });
    let partial = '';
    const onData = (chunk: Buffer) => {
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const text = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.onText(text);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line (already written or still to come) that matches, within `timeoutMs`. */
  async waitForLog(match: (l: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return seen;
    let listener: ((l: LogLine) => void) | undefined;
    const found = new Promise<LogLine>((resolve, reject) => {
      listener = (l) => match(l) && resolve(l);
      this.on('line', listener);
      void this.exited.then(({ code, signal }) =>
        reject(
          new Error(`${this.name} exited (${code ?? signal}) before: ${what ?? 'log line'}\n${this.tail()}`),
        ),
      );
    });
    try {
      return await within(found, timeoutMs, `${this.name}: ${what ?? 'log line'}\n${this.tail()}`);
    } finally {
      if (listener) this.off('line', listener);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGKILL (works on a stopped process too) and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last lines of output, for failure messages. */
  tail(n = 15): string {
    const text = this.lines.slice(-n).map((l) => JSON.stringify(l));
    return [...text, this.raw.slice(-2000)].join('\n');
  }

  private onText(text: string): void {
    if (text.startsWith('{')) {
      try {
        const line = JSON.parse(text) as LogLine;
        this.lines.push(line);
        this.emit('line', line);
        return;
      } catch {
        // not JSON after all
      }
    }
    this.raw += `${text}\n`;
  }
}

/** Environment every child gets; nothing else is inherited, so the test decides all configuration. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { LOG_LEVEL: 'info', NODE_ENV: 'test' };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function spawnService(
  t: ExecutionContext,
  service: 'bet-maker' | 'line-provider',
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: `${root}${service}`,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new ServiceProcess(service, child);
  t.teardown(() => proc.kill());
  return proc;
}

/** A line-provider process; resolves once it listens (LINE_PROVIDER_PORT 0 unless given). */
export async function startLineProviderProcess(
  t: ExecutionContext,
  env: Record<string, string> = {},
): Promise<{ proc: ServiceProcess; port: number }> {
  const proc = spawnService(t, 'line-provider', {
    LINE_PROVIDER_PORT: '0',
    LINE_PROVIDER_HOST: '127.0.0.1',
    ...env,
  });
  const line = await proc.waitForLog((l) => l.msg === 'line-provider listening', 30_000, 'listening');
  return { proc, port: Number(line.port) };
}

/** A bet-maker process on `DATABASE_URL`; resolves once it listens (PORT 0 unless given). */
export async function startBetMakerProcess(
  t: ExecutionContext,
  env: Record<string, string> & { DATABASE_URL: string; LINE_PROVIDER_URL: string },
): Promise<{ proc: ServiceProcess; port: number; base: string }> {
  const proc = spawnService(t, 'bet-maker', {
    PORT: '0',
    HOST: '127.0.0.1',
    WATCH_BACKOFF_MIN_MS: '20',
    WATCH_BACKOFF_MAX_MS: '500',
    ...env,
  });
  const line = await proc.waitForLog((l) => l.msg === 'bet-maker listening', 30_000, 'listening');
  const port = Number(line.port);
  return { proc, port, base: `http://127.0.0.1:${port}` };
}
