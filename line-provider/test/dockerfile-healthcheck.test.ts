import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { startServer } from './helpers.js';
import { makeCertificates } from './tls-certificates.js';

const WORKSPACE = fileURLToPath(new URL('..', import.meta.url));

/** The exec form of the Dockerfile's HEALTHCHECK CMD, e.g. ["node", "-e", "..."]. */
function healthcheckArgv(): string[] {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const match = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
  if (match?.[1] === undefined) throw new Error('no HEALTHCHECK ... CMD [...] in line-provider/Dockerfile');
  return JSON.parse(match[1]) as string[];
}

/** Runs the check as the image does (in the workspace, with only the given environment); resolves its exit code. */
function runCheck(env: Record<string, string>): Promise<number> {
  const [command, ...args] = healthcheckArgv();
  const binary = command === 'node' ? process.execPath : (command ?? 'node');
  return new Promise((resolve) => {
    execFile(binary, args, { cwd: WORKSPACE, env: { PATH: process.env['PATH'] ?? '', ...env } }, (error) =>
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : 1),
    );
  });
}

test('when the server is plaintext, then the image healthcheck passes, and fails once it stopped', async (t) => {
  const { port, app } = await startServer(t, { adminToken: 'admin', readToken: 'reader' });

  t.is(await runCheck({ LINE_PROVIDER_PORT: String(port) }), 0);
  await app.stop();
  t.not(await runCheck({ LINE_PROVIDER_PORT: String(port) }), 0);
});

test('when the server speaks TLS, then the image healthcheck passes over TLS', async (t) => {
  const certs = await makeCertificates();
  t.teardown(() => certs.remove());
  const { port } = await startServer(t, {
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: undefined },
  });

  t.is(await runCheck({ LINE_PROVIDER_PORT: String(port), LINE_PROVIDER_TLS_CERT: certs.serverCert }), 0);
  t.not(await runCheck({ LINE_PROVIDER_PORT: String(port) }), 0, 'a plaintext check cannot pass against TLS');
});
