/**
 * `npm start`: the whole system on one machine, no Docker needed.
 *
 * Starts line-provider (with demo events) and bet-maker as child processes, each with its own
 * `npm start`, so that this runs exactly what `npm start -w <service>` runs. bet-maker starts an
 * embedded PostgreSQL under `./.data` when `DATABASE_URL` is not set. Their JSON logs are printed
 * readably with a service prefix. Ctrl-C (or SIGTERM) stops both and waits for them to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';

const root = new URL('..', import.meta.url).pathname;
const pretty = prettyFactory({
  colorize: process.stdout.isTTY,
  translateTime: 'SYS:HH:MM:ss.l',
  singleLine: true,
  ignore: 'pid,hostname,service',
});

interface Service {
  name: string;
  env: NodeJS.ProcessEnv;
}

const services: Service[] = [
  { name: 'line-provider', env: { LINE_PROVIDER_SEED_DEMO: process.env.LINE_PROVIDER_SEED_DEMO ?? 'true' } },
  { name: 'bet-maker', env: {} },
];

function printLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  const prefix = name.padEnd(13);
  createInterface({ input: stream }).on('line', (line) => {
    // Non-JSON lines (npm's banner, a crash before the logger exists) are printed as they are.
    const text = line.startsWith('{') ? pretty(line).trimEnd() : line;
    out.write(`${prefix}| ${text}\n`);
  });
}

function startService(service: Service): ChildProcess {
  const child = spawn('npm', ['start', '--silent', '-w', service.name], {
    cwd: root,
    env: { ...process.env, ...service.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C in the terminal reaches only this script, which stops the children in order.
    detached: true,
  });
  printLines(service.name, child.stdout, process.stdout);
  printLines(service.name, child.stderr, process.stderr);
  return child;
}

const children = services.map(startService);
const exited = children.map(
  (child) =>
    new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))),
);

let stopping = false;
let askedToStop = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    askedToStop = true;
    stop(signal);
  });
}

// If one service dies on its own, stop the other: a half-running system only confuses.
void Promise.race(exited).then(() => stop('SIGTERM'));
const codes = await Promise.all(exited);
process.exitCode = askedToStop && codes.every((code) => code === 0) ? 0 : 1;
