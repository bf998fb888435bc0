import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './concurrency.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A service running as a child process (`node --import tsx src/main.ts`, as `npm start -w` runs it). */
export interface ChildService {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Epoch ms: when the process was spawned, and when it first answered on its port. */
  readonly spawnedAt: number;
  readonly listeningAt: number;
  /** Its log file (pino JSON lines). */
  readonly logFile: string;
  /** Resident and peak resident memory, from /proc/<pid>/status. */
  memory(): { rssMb: number; hwmMb: number };
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Directory for the service's log file (`<name>.log`). */
  logDir: string;
  /** node arguments that run the service: its compiled main.js, or tsx and src/main.ts (see build.ts). */
  entry: string[];
  env?: Record<string, string>;
}

/** Starts line-provider on a free loopback port; resolves once it accepts connections. */
export async function startLineProvider(opts: StartOptions & { name?: string }): Promise<ChildService> {
  const port = await freePort();
  const env = {
    LINE_PROVIDER_HOST: '127.0.0.1',
    LINE_PROVIDER_PORT: String(port),
    // Its Prometheus endpoint defaults to a fixed port that another line-provider on the machine may hold.
    LINE_PROVIDER_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  return startService(opts.name ?? 'line-provider', 'line-provider', opts.entry, port, env, opts.logDir, () =>
    tcpAnswers(port),
  );
}

/** Starts bet-maker on a free loopback port against `databaseUrl`; resolves once /healthz answers. */
export async function startBetMaker(
  opts: StartOptions & { name?: string; databaseUrl: string; lineProviderPort: number },
): Promise<ChildService> {
  const port = await freePort();
  const env = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: opts.databaseUrl,
    LINE_PROVIDER_URL: `127.0.0.1:${opts.lineProviderPort}`,
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  return startService(opts.name ?? 'bet-maker', 'bet-maker', opts.entry, port, env, opts.logDir, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    await res?.body?.cancel();
    return res?.status === 200;
  });
}

/**
 * Spawns a service with its output going straight to `<logDir>/<name>.log` (not through this process: a
 * busy load generator must not block a service on a full pipe), then polls `up` every 10 ms.
 */
async function startService(
  name: string,
  dir: string,
  entry: string[],
  port: number,
  env: Record<string, string>,
  logDir: string,
  up: () => Promise<boolean>,
): Promise<ChildService> {
  const spawnedAt = Date.now();
  // BENCH_PROFILE=bet-maker,line-provider writes V8 CPU profiles of those services into the run's log directory.
  const profile = (process.env.BENCH_PROFILE ?? '').split(',').includes(dir)
    ? ['--cpu-prof', `--cpu-prof-dir=${logDir}`]
    : [];
  // BENCH_NODE_FLAGS="--trace-gc ..." adds V8 or Node flags to the services (diagnosis; never in a recorded run).
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const logFile = join(logDir, `${name}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...flags, ...profile, ...entry], {
    cwd: join(root, dir),
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);
  const exited = once(child, 'exit');
  const service = {
    name,
    pid,
    port,
    spawnedAt,
    listeningAt: 0,
    logFile,
    memory: () => readMemory(pid),
    stop: () => stopChild(child, exited),
  };
  try {
    await waitFor(
      `${name} to start (see ${name}.log)`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode} (see ${name}.log)`);
        return up();
      },
      60_000,
      10,
    );
  } catch (err) {
    await service.stop();
    throw err;
  }
  return { ...service, listeningAt: Date.now() };
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The `time` (epoch ms) of the first pino record with message `msg` at or after `after`, if any. */
export function logTime(file: string, msg: string, after: number): number | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const rec = JSON.parse(line) as { msg?: string; time?: number };
      if (rec.msg === msg && typeof rec.time === 'number' && rec.time >= after) return rec.time;
    } catch {
      // not a log record
    }
  }
  return undefined;
}

/** VmRSS and VmHWM of a process, in MB. */
export function readMemory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts a child script of the bench itself (bench/lib/*.ts) with IPC; resolves once it says "ready". */
export async function startBenchChild<M extends { type: string }>(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; ready: M; next: (type: M['type']) => Promise<M> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', script), ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: M[] = [];
  const waiting = new Map<string, (m: M) => void>();
  child.on('message', (m: M) => {
    const w = waiting.get(m.type);
    if (w !== undefined) {
      waiting.delete(m.type);
      w(m);
    } else {
      messages.push(m);
    }
  });
  const next = (type: M['type']): Promise<M> => {
    const i = messages.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      waiting.set(type, resolve);
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before "${type}"`)));
    });
  };
  const ready = await next('ready');
  return { child, ready, next };
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Starts measuring CPU use; the returned function gives, since then, each named process's share of one
 * core (%) and how busy the whole machine was (% of all its cores, whoever used them).
 */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const t0 = performance.now();
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const m0 = machineJiffies();
  return () => {
    const s = (performance.now() - t0) / 1000;
    const out: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) {
      out[k] = Math.round(((cpuSeconds(pid) - (start[k] ?? 0)) / s) * 1000) / 10;
    }
    const m1 = machineJiffies();
    out.machine = Math.round(((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 1000) / 10;
    return out;
  };
}
