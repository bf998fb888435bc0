import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import { DomainError } from '../domain/errors.js';

/** The Content-Type values that nearly every client sends for a JSON body; anything else takes the long way. */
const PLAIN_JSON = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset=UTF-8',
]);
const CONTENT_LENGTH = /^\d{1,9}$/;
/** @hapi/bourne's test for a `__proto__` key, escapes included (what co-body runs every body through). */
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;

/**
 * The body middleware: refuses compressed bodies (415: a bet is tiny, and a decompressor would sit in front
 * of validation), then reads JSON bodies as koa-bodyparser does with `enableTypes: ['json']` and `strict`
 * (`ctx.request.body` the value, an object or an array; `ctx.request.rawBody` the text; 400 for bad JSON
 * or a `__proto__` key, 413 past `limitBytes`). The request almost every client sends (application/json,
 * a Content-Length within the limit, no encoding) is read here in a few steps: koa-bodyparser's path
 * (type-is, co-body, raw-body, an iconv decoder) cost about a tenth of a bet's CPU in bet-maker. Every
 * other request goes through koa-bodyparser itself and gets exactly its answers.
 */
export function jsonBody(limitBytes: number): Middleware {
  const general = bodyParser({ enableTypes: ['json'], jsonLimit: `${limitBytes}b`, strict: true });
  return async (ctx, next) => {
    const h = ctx.req.headers;
    const encoding = h['content-encoding'];
    if (encoding !== undefined) {
      const e = encoding.trim().toLowerCase();
      if (e !== '' && e !== 'identity') {
        throw new DomainError(
          'unsupported_media_type',
          'Content-Encoding is not supported; send the body as is.',
        );
      }
    }
    const length = h['content-length'];
    if (
      encoding !== undefined ||
      h['transfer-encoding'] !== undefined ||
      length === undefined ||
      !CONTENT_LENGTH.test(length) ||
      Number(length) > limitBytes ||
      !PLAIN_JSON.has(h['content-type'] ?? '')
    ) {
      await general(ctx, next);
      return;
    }
    const req = ctx.req;
    // A small body usually came in the packet of its headers: then it is all buffered already.
    const text =
      req.complete && req.readableFlowing !== true && req.readableLength === Number(length)
        ? utf8(req.read() as Buffer | null)
        : await readUtf8(req, Number(length));
    ctx.request.rawBody = text;
    ctx.request.body = parseStrict(text);
    await next();
  };
}

/**
 * `ctx.is('application/json')`, without parsing the header again for the usual values: those are
 * application/json to type-is whenever the request has a body (type-is's test, kept as it is).
 */
export function isJson(ctx: Context): boolean {
  const h = ctx.req.headers;
  if (PLAIN_JSON.has(h['content-type'] ?? '')) {
    return h['transfer-encoding'] !== undefined || !Number.isNaN(Number(h['content-length']));
  }
  return typeof ctx.is('application/json') === 'string';
}

/** As co-body (strict) parses: empty is {}; not an object or array, bad JSON or a `__proto__` key is a 400. */
function parseStrict(text: string): unknown {
  if (text === '') return {};
  try {
    if (!objectOrArray(text)) throw new SyntaxError('invalid JSON, only supports object and array');
    const value: unknown = JSON.parse(text);
    // Each letter of the key is itself or a \u escape: without either, the regular expression cannot match.
    if ((text.includes('__proto__') || text.includes('\\u')) && SUSPECT_PROTO.test(text))
      rejectProtoKeys(value);
    return value;
  } catch (err) {
    throw Object.assign(err as Error, { status: 400, body: text });
  }
}

/** co-body's strict test (`/^[\x20\x09\x0a\x0d]*(\[|\{)/`): RFC 7159 whitespace, then `[` or `{`. */
function objectOrArray(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

/** @hapi/bourne's scan (protoAction 'error'): any object in the value with an own `__proto__` key. */
function rejectProtoKeys(value: unknown): void {
  let next: unknown[] = [value];
  while (next.length > 0) {
    const nodes = next;
    next = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (Object.prototype.hasOwnProperty.call(node, '__proto__')) {
        throw new SyntaxError('Object contains forbidden prototype property');
      }
      for (const v of Object.values(node)) if (v !== null && typeof v === 'object') next.push(v);
    }
  }
}

/** An http-errors-like error, as raw-body makes them: errorHandler maps its status. */
const httpError = (status: number, message: string, type: string): Error =>
  Object.assign(new Error(message), { status, statusCode: status, expose: true, type });

/** The body as text: UTF-8, a leading BOM dropped (what raw-body's iconv-lite decoder does). */
function utf8(body: Buffer | null): string {
  const text = body === null ? '' : body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads a body of `length` bytes (Content-Length, already checked against the limit) as it arrives; a
 * client that goes away mid-body gets raw-body's 400.
 */
function readUtf8(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (received !== length) {
        reject(httpError(400, 'request size did not match content length', 'request.size.invalid'));
        return;
      }
      resolve(utf8(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received)));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => {
      cleanup();
      reject(httpError(400, 'request aborted', 'request.aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
