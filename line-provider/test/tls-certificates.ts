import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throw-away CA, a server certificate for localhost/127.0.0.1 and a client certificate. */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  read(path: string): Promise<Buffer>;
  remove(): Promise<void>;
}

/**
 * Generates the certificates with the machine's `openssl` (P-256 keys, valid 100 years) into a temporary
 * directory, so nothing secret-looking is committed and nothing expires.
 */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'line-provider-tls-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '36500',
    '-subj',
    '/CN=line-provider test CA',
  );
  const sign = async (name: string, subject: string, extensions: string): Promise<void> => {
    await openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await writeFile(file(`${name}.ext`), extensions);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '36500',
      '-extfile',
      `${name}.ext`,
    );
  };
  await sign(
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await sign('client', '/CN=bet-maker', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    read: (path) => readFile(path),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
