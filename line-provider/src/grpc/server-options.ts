import type { ServerOptions } from '@grpc/grpc-js';

import type { KeepaliveConfig } from '../config.js';

/**
 * grpc-js server options for keepalive. The server pings each connection every `timeMs` and drops it when a ping
 * is not answered within `timeoutMs`, so a frozen or vanished client is noticed (and its watch freed). Clients may
 * ping too, even without calls in flight; grpc-js 1.14 does not police ping rates, but
 * `min_ping_interval_without_data_ms` states the policy for any server that does, below bet-maker's ~10 s.
 */
export function serverOptions(keepalive: KeepaliveConfig): ServerOptions {
  return {
    'grpc.keepalive_time_ms': keepalive.timeMs,
    'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': keepalive.minPingIntervalMs,
  };
}
