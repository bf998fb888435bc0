/**
 * The README's `buf curl` examples, run as written against a real line-provider with the demo events, so that
 * they stay true: each `$ npx buf curl ...` command of the README is taken from the file, pointed at this
 * test's port, and its output is checked against what the README prints after it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { pino } from 'pino';
import { createApp, type App } from '../line-provider/src/app.js';
import { buildConfig } from '../line-provider/src/config.js';
import { seedDemoEvents } from '../line-provider/src/seed.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Every `$ npx buf curl` command of the README with its continuation lines, and the lines printed after it. */
function bufCurlExamples(): { command: string; printed: string }[] {
  const examples: { command: string; printed: string }[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('$ npx buf curl')) continue;
    let command = lines[i].slice(2);
    while (command.endsWith('\\')) command = `${command.slice(0, -1).trimEnd()} ${lines[++i].trim()}`;
    const printed: string[] = [];
    while (i + 1 < lines.length && !lines[i + 1].startsWith('$') && !lines[i + 1].startsWith('```')) {
      printed.push(lines[++i]);
    }
    examples.push({ command, printed: printed.join('\n').trim() });
  }
  return examples;
}

/** Runs a README command through the shell from the repository root; a failed RPC is not a rejection. */
function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON keys the README shows (`"eventId"`, ...) and the quoted string values it spells out in full. */
function expectedFragments(printed: string): string[] {
  if (!printed.startsWith('{')) return printed.split('\n').filter((line) => line !== '');
  // Values elided with "..." and the ones that differ from run to run (ids, revisions) are not compared.
  return [...printed.matchAll(/"[A-Za-z_]+": "[^"]*"/g)]
    .map((m) => m[0])
    .filter((fragment) => !/\.\.\.|instanceId|revision|Revision|eventCount/.test(fragment));
}

let app: App;
let port: number;

test.before(async () => {
  app = createApp(buildConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', heartbeatMs: 200 }), {
    logger: pino({ level: 'silent' }),
  });
  ({ port } = await app.start());
  await seedDemoEvents(app.store);
});

test.after.always(() => app?.stop());

test('the README shows the buf curl examples for listing, creating, listing events, finishing and watching', (t) => {
  const commands = bufCurlExamples().map((e) => e.command);
  t.is(commands.length, 5);
  t.true(commands.some((c) => c.includes('--list-services')));
  for (const rpc of ['CreateEvent', 'ListEvents', 'UpdateEventStatus', 'WatchEvents']) {
    t.true(
      commands.some((c) => c.endsWith(`/${rpc}`)),
      rpc,
    );
  }
});

test.serial(
  'when the README buf curl examples are run in order, then each prints what the README says',
  async (t) => {
    for (const { command, printed } of bufCurlExamples()) {
      const isWatch = command.endsWith('/WatchEvents');
      // The watch runs until its timeout; a second is enough to see the snapshot and a heartbeat.
      const local = command
        .replaceAll('127.0.0.1:50051', `127.0.0.1:${port}`)
        .replace('--timeout 8s', '--timeout 1s');
      const { code, stdout, stderr } = await run(local);
      // buf curl exits with the gRPC code times 8: DEADLINE_EXCEEDED (4) ends the watch, as the README says.
      t.is(code, isWatch ? 32 : 0, `${command}\n${stderr}`);
      const compact = stdout
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\{ /g, '{')
        .replace(/ \}/g, '}');
      for (const fragment of expectedFragments(printed)) {
        if (isWatch && fragment.includes('match-2')) continue; // created from another shell in the README
        t.true(
          compact.includes(fragment.replace(/\s*\n\s*/g, ' ')),
          `${command}\nexpected ${fragment} in:\n${stdout}`,
        );
      }
      if (isWatch) {
        for (const kind of ['"header"', '"snapshotChunk"', '"snapshotEnd"', '"heartbeat"'])
          t.true(stdout.includes(kind), kind);
      }
    }
  },
);
