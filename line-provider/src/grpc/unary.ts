import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { toStatus } from './to-status.js';

/**
 * Adapts a (sync or async) handler to grpc-js: its result is the response, anything it throws goes through `toStatus`.
 * Logs each call at debug level with its outcome and duration.
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    const finish = (code: Status): void => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.debug({ rpc: method, code: Status[code], ms }, 'rpc');
    };
    // Starting inside then() turns a synchronous throw into a rejection, so it is mapped like any other error.
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (response) => {
          finish(Status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const status = toStatus(error, logger);
          finish(status.code);
          callback(status);
        },
      );
  };
}
