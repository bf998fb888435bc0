import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  credentials,
  InterceptingCall,
  Metadata,
  status as GrpcStatus,
  type ChannelCredentials,
  type ChannelOptions,
  type Interceptor,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { LineProviderTls } from '../config.js';
import { LineProviderServiceClient } from '../gen/lineprovider/v1/line_provider.js';

/** PEM contents for a TLS channel (see {@link readTlsFiles}). */
export interface TlsMaterial {
  ca: Buffer;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** Checked against the server certificate instead of the target's host. */
  serverName?: string | undefined;
}

export interface ClientOptions {
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Sent as `authorization: Bearer <token>` on every call; unset sends none. */
  token?: string | undefined;
  /** Unset: plaintext. */
  tls?: TlsMaterial | undefined;
  logger: Logger;
}

/** Why line-provider last refused us, until a call gets through again; shown by /readyz. */
export class LineProviderAccess {
  private refusal: { code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; since: Date } | undefined;

  get refused(): { code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; since: Date } | undefined {
    return this.refusal;
  }

  /** Returns true when this is news (the first refusal, or another code than the last one). */
  refuse(code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED', now = new Date()): boolean {
    if (this.refusal?.code === code) return false;
    this.refusal = { code, since: now };
    return true;
  }

  accepted(): void {
    this.refusal = undefined;
  }
}

export interface LineProviderConnection {
  client: LineProviderServiceClient;
  access: LineProviderAccess;
}

/** Reads the PEM files named in the config; a missing file fails start with the variable's name. */
export function readTlsFiles(tls: LineProviderTls): TlsMaterial {
  const read = (file: string, variable: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${variable}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    ca: read(tls.caFile, 'LINE_PROVIDER_TLS_CA'),
    cert: tls.certFile === undefined ? undefined : read(tls.certFile, 'LINE_PROVIDER_TLS_CERT'),
    key: tls.keyFile === undefined ? undefined : read(tls.keyFile, 'LINE_PROVIDER_TLS_KEY'),
    serverName: tls.serverName,
  };
}

/**
 * The one long-lived client (channel) per process. Keepalive pings make a frozen peer visible: without
 * them a stopped provider is never noticed (STACK.md measured it). grpc-js reconnects the channel by
 * itself; the watcher re-opens the stream.
 *
 * The token rides on call credentials when the channel is TLS (grpc-js sends call credentials only over
 * TLS); on a plaintext channel the interceptor adds it to each call instead. Every call also carries an
 * `x-request-id` (the caller's, when it set one in the call's metadata; else a fresh one), and a refusal
 * of our credentials is logged as the configuration error it is and kept for /readyz.
 */
export function createLineProviderClient(target: string, opts: ClientOptions): LineProviderConnection {
  const access = new LineProviderAccess();
  const bearer = opts.token === undefined ? undefined : `Bearer ${opts.token}`;
  let channel: ChannelCredentials = credentials.createInsecure();
  const tlsOptions: ChannelOptions = {};
  if (opts.tls !== undefined) {
    channel = credentials.createSsl(opts.tls.ca, opts.tls.key ?? null, opts.tls.cert ?? null);
    if (opts.tls.serverName !== undefined) tlsOptions['grpc.ssl_target_name_override'] = opts.tls.serverName;
    if (bearer !== undefined) {
      const token = credentials.createFromMetadataGenerator((_params, done) => {
        const md = new Metadata();
        md.set('authorization', bearer);
        done(null, md);
      });
      channel = credentials.combineChannelCredentials(channel, token);
    }
  } else if (bearer !== undefined) {
    opts.logger.warn(
      'LINE_PROVIDER_READ_TOKEN is sent to line-provider in plaintext; set LINE_PROVIDER_TLS_CA to use TLS',
    );
  }
  const plaintextBearer = opts.tls === undefined ? bearer : undefined;
  const client = new LineProviderServiceClient(target, channel, {
    ...tlsOptions,
    'grpc.keepalive_time_ms': opts.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
    interceptors: [
      accessInterceptor(access, { plaintextBearer, tokenSet: bearer !== undefined }, opts.logger),
    ],
  });
  return { client, access };
}

function accessInterceptor(
  access: LineProviderAccess,
  auth: { plaintextBearer: string | undefined; tokenSet: boolean },
  logger: Logger,
): Interceptor {
  return (options, nextCall) => {
    const rpc = options.method_definition.path;
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        if (metadata.get('x-request-id').length === 0) metadata.set('x-request-id', randomUUID());
        if (auth.plaintextBearer !== undefined) metadata.set('authorization', auth.plaintextBearer);
        const requestId = String(metadata.get('x-request-id')[0]);
        logger.debug({ rpc, requestId }, 'calling line-provider');
        next(metadata, {
          onReceiveMessage(message, nextMessage) {
            access.accepted();
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            if (status.code === GrpcStatus.UNAUTHENTICATED || status.code === GrpcStatus.PERMISSION_DENIED) {
              const code =
                status.code === GrpcStatus.UNAUTHENTICATED ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED';
              // A configuration error, not an outage: loud on the first refusal, quieter while it lasts.
              const level = access.refuse(code) ? 'error' : 'warn';
              logger[level](
                { rpc, requestId, code, details: status.details },
                `line-provider refused bet-maker's credentials (${code}): check LINE_PROVIDER_READ_TOKEN ` +
                  `(${auth.tokenSet ? 'set' : 'unset'}) and the TLS settings`,
              );
            } else if (status.code === GrpcStatus.OK) {
              access.accepted();
            }
            nextStatus(status);
          },
        });
      },
    });
  };
}
