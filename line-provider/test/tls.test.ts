import { execFileSync } from 'node:child_process';

import anyTest from 'ava';
import type { TestFn } from 'ava';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { credentials, status as Status } from '@grpc/grpc-js';

import { LineProviderServiceClient } from '../src/gen/lineprovider/v1/line_provider.js';
import { TlsSetupError } from '../src/grpc/credentials.js';
import { buildCreate, rpc, startServer } from './helpers.js';
import type { TestCertificates } from './tls-certificates.js';
import { makeCertificates } from './tls-certificates.js';

const test = anyTest as TestFn<{ certs: TestCertificates }>;
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

test.before(async (t) => {
  if (hasOpenssl) t.context.certs = await makeCertificates();
});
test.after.always(async (t) => {
  await t.context.certs?.remove();
});

/**
 * A client of `port` with `channel` credentials, closed when the test ends. It dials 127.0.0.1 (where the test server
 * listens) and checks the certificate for `localhost` (an IP address as TLS server name is deprecated).
 */
function clientOf(
  t: { teardown(fn: () => void): void },
  port: number,
  channel: ChannelCredentials,
): LineProviderServiceClient {
  const client = new LineProviderServiceClient(`127.0.0.1:${port}`, channel, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  t.teardown(() => client.close());
  return client;
}

const maybe = hasOpenssl ? test : test.skip;

maybe('when TLS is on, then a client that trusts the CA works and a plaintext client fails', async (t) => {
  const { certs } = t.context;
  const { port } = await startServer(t, {
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: undefined },
  });
  const secure = clientOf(t, port, credentials.createSsl(await certs.read(certs.caCert)));
  const plaintext = clientOf(t, port, credentials.createInsecure());

  const created = await rpc.create(secure, buildCreate());

  t.is((await rpc.get(secure, created.eventId)).eventId, created.eventId);
  await t.throwsAsync(rpc.get(plaintext, created.eventId), { code: Status.UNAVAILABLE });
});

maybe('when TLS is on, then a client that does not trust the CA fails', async (t) => {
  const { certs } = t.context;
  const { port } = await startServer(t, {
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: undefined },
  });
  const untrusting = clientOf(t, port, credentials.createSsl());

  await t.throwsAsync(rpc.list(untrusting), { code: Status.UNAVAILABLE });
});

maybe(
  'when mutual TLS is on, then only a client with a certificate from the client CA gets in',
  async (t) => {
    const { certs } = t.context;
    const { port } = await startServer(t, {
      tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.caCert },
    });
    const ca = await certs.read(certs.caCert);
    const withCertificate = clientOf(
      t,
      port,
      credentials.createSsl(ca, await certs.read(certs.clientKey), await certs.read(certs.clientCert)),
    );
    const without = clientOf(t, port, credentials.createSsl(ca));

    t.deepEqual((await rpc.list(withCertificate)).events, []);
    await t.throwsAsync(rpc.list(without), { code: Status.UNAVAILABLE });
  },
);

maybe('when a TLS file cannot be read, then start fails naming the variable and the file', async (t) => {
  const { certs } = t.context;

  await t.throwsAsync(
    startServer(t, {
      tls: { certFile: `${certs.dir}/missing.crt`, keyFile: certs.serverKey, clientCaFile: undefined },
    }),
    { instanceOf: TlsSetupError, message: /cannot read LINE_PROVIDER_TLS_CERT .*missing\.crt/ },
  );
});
