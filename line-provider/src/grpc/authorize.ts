import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { RpcMetrics } from '../metrics/metrics.js';
import type { Access, AccessControl, Refusal } from './access.js';

/** What every call passes through before its handler: the access check, its logger and its metrics. */
export interface RpcDeps {
  readonly logger: Logger;
  readonly access: AccessControl;
  readonly metrics: RpcMetrics;
}

/** The parts of a grpc-js call the check reads. */
export interface CallInfo {
  readonly metadata: Metadata;
  getPeer(): string;
}

/**
 * Checks the caller's token for `method`. A refusal is counted and logged (method, peer, reason, request id;
 * never the token) and returned for the caller to end the call with.
 */
export function authorize(
  method: string,
  access: Access,
  call: CallInfo,
  requestId: string | undefined,
  deps: RpcDeps,
): Refusal | undefined {
  const refusal = deps.access.check(access, call.metadata);
  if (refusal !== undefined) {
    deps.metrics.authRefused(method, refusal.reason);
    deps.logger.warn(
      { rpc: method, peer: call.getPeer(), reason: refusal.reason, requestId },
      'call refused',
    );
  }
  return refusal;
}
