import { credentials } from '@grpc/grpc-js';
import { LineProviderServiceClient } from '../gen/lineprovider/v1/line_provider.js';

export interface ClientOptions {
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

/**
 * The one long-lived client (channel) per process. Keepalive pings make a frozen peer visible: without
 * them a stopped provider is never noticed (STACK.md measured it). grpc-js reconnects the channel by
 * itself; the watcher re-opens the stream.
 */
export function createLineProviderClient(target: string, opts: ClientOptions): LineProviderServiceClient {
  return new LineProviderServiceClient(target, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': opts.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  });
}
