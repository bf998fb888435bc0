import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

import type { Access } from './access.js';
import type { RpcDeps } from './authorize.js';
import { authorize } from './authorize.js';
import { requestIdOf } from './request-id.js';
import { toStatus } from './to-status.js';

/** What a handler gets besides the request. */
export interface UnaryContext<Req, Res> {
  readonly call: ServerUnaryCall<Req, Res>;
  /** The caller's `x-request-id` metadata, if any; worth a field in every log line about the call. */
  readonly requestId: string | undefined;
}

/**
 * Adapts a (sync or async) handler to grpc-js, the one place every unary call passes: the caller's token is checked
 * first (`access`), then the handler's result is the response and anything it throws goes through `toStatus`.
 * Each call is counted and timed by method and code, and logged at debug level with its request id.
 */
export function unary<Req, Res>(
  method: string,
  access: Access,
  deps: RpcDeps,
  handler: (request: Req, context: UnaryContext<Req, Res>) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    const requestId = requestIdOf(call.metadata);
    const finish = (code: Status): void => {
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.rpcFinished(method, code, seconds);
      deps.logger.debug(
        { rpc: method, code: Status[code], ms: Math.round(seconds * 10_000) / 10, requestId },
        'rpc',
      );
    };
    const refusal = authorize(method, access, call, requestId, deps);
    if (refusal !== undefined) {
      finish(refusal.code);
      callback({ code: refusal.code, details: refusal.details });
      return;
    }
    // Starting inside then() turns a synchronous throw into a rejection, so it is mapped like any other error.
    Promise.resolve()
      .then(() => handler(call.request, { call, requestId }))
      .then(
        (response) => {
          finish(Status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const status = toStatus(error, deps.logger);
          finish(status.code);
          callback(status);
        },
      );
  };
}
