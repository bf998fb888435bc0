import { readFileSync } from 'node:fs';

import { ServerCredentials } from '@grpc/grpc-js';

import type { TlsConfig } from '../config.js';

/** Thrown when a TLS file cannot be read or used; names the variable and the file. */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError';
}

function read(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsSetupError(`cannot read ${variable} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Plaintext without `tls`; else TLS with the certificate and key, and with a client CA mutual TLS: a client must
 * present a certificate that CA signed. The files are read now, so a missing one fails the start with its name.
 */
export function serverCredentials(tls: TlsConfig | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const cert = read('LINE_PROVIDER_TLS_CERT', tls.certFile);
  const key = read('LINE_PROVIDER_TLS_KEY', tls.keyFile);
  const clientCa =
    tls.clientCaFile === undefined ? null : read('LINE_PROVIDER_TLS_CLIENT_CA', tls.clientCaFile);
  try {
    return ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
  } catch (error) {
    throw new TlsSetupError(`cannot use the TLS files: ${(error as Error).message}`, { cause: error });
  }
}
