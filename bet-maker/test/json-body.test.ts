/**
 * jsonBody reads the usual JSON request itself and hands every other one to koa-bodyparser. Both paths must
 * answer alike: the same body sent as `application/json` (the short path) and as `Application/JSON` (the
 * same type, which koa-bodyparser reads) gets the same status and the same parsed value and raw text.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import Koa from 'koa';
import { pino } from 'pino';
import { isJson, jsonBody } from '../src/http/json-body.js';
import { errorHandler } from '../src/http/problem.js';
import { sendRaw } from './helpers/raw-http.js';

const test = anyTest as TestFn<{ server: Server; base: string; agent: Agent }>;
const LIMIT = 64;

test.before(async (t) => {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler(pino({ level: 'silent' })));
  app.use(jsonBody(LIMIT));
  app.use((ctx) => {
    ctx.body = {
      json: isJson(ctx),
      is: typeof ctx.is('application/json') === 'string',
      body: ctx.request.body ?? null,
      raw: ctx.request.rawBody ?? null,
    };
  });
  const handler = app.callback();
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.context = {
    server,
    base: `http://127.0.0.1:${port}`,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
  };
});

test.after.always(async (t) => {
  t.context.agent.destroy();
  await new Promise((resolve) => t.context.server.close(resolve));
});

/** The answers to one body sent on the short path and on koa-bodyparser's, with the given types. */
async function both(
  t: { context: { base: string; agent: Agent } },
  body: string | Buffer,
  types: [string, string],
) {
  const send = (type: string) =>
    sendRaw(
      t.context.base,
      { method: 'POST', path: '/', headers: { 'content-type': type }, body },
      t.context.agent,
    );
  const [short, long] = [await send(types[0]), await send(types[1])];
  return {
    short: { status: short.status, text: short.text },
    long: { status: long.status, text: long.text },
  };
}

const tricky: (string | Buffer)[] = [
  '',
  ' ',
  '{}',
  '[]',
  '{"event_id":"e","amount":"10.00"}',
  ' \n\t{"a":1}',
  '\ufeff{"a":1}',
  '{"__proto__":{"x":1}}',
  '{"\\u005f_proto__":1}',
  '{"a":{"b":[{"__proto__":1}]}}',
  '{"a":"__proto__"}',
  '"text"',
  '1',
  'null',
  '{bad',
  '{"a":1}x',
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  `{"a":"${'x'.repeat(LIMIT - 8)}"}`,
  `{"a":"${'x'.repeat(LIMIT - 7)}"}`,
  'x'.repeat(LIMIT * 4),
];

test('when a tricky body comes as application/json, then the short path answers as koa-bodyparser does', async (t) => {
  for (const body of tricky) {
    const { short, long } = await both(t, body, ['application/json', 'Application/JSON']);
    t.deepEqual(short, long, JSON.stringify(body.toString()));
  }
});

test('when the charset parameter is written in another way, then both paths still answer alike', async (t) => {
  for (const body of tricky.slice(0, 8)) {
    const { short, long } = await both(t, body, [
      'application/json; charset=utf-8',
      'application/json; charset="utf-8"',
    ]);
    t.deepEqual(short, long, JSON.stringify(body.toString()));
  }
});

test('when generated text comes as application/json, then both paths answer alike', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.json(),
        fc.string({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
      ),
      async (body) => {
        const { short, long } = await both(t, body, ['application/json', 'Application/JSON']);
        t.deepEqual(short, long);
      },
    ),
    { numRuns: 200 },
  );
});

test('when the body is read on the short path, then the request counts as application/json', async (t) => {
  const res = await sendRaw(
    t.context.base,
    { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
    t.context.agent,
  );
  t.deepEqual(JSON.parse(res.text), { json: true, is: true, body: { a: 1 }, raw: '{"a":1}' });
});

test('when a request has a JSON type with or without a body, then isJson answers as ctx.is does', async (t) => {
  const cases: { method: string; type: string; body?: string; contentLength?: boolean }[] = [];
  for (const type of [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'text/plain',
  ]) {
    cases.push(
      { method: 'GET', type },
      { method: 'POST', type, body: '' },
      { method: 'POST', type, body: '{}' },
      { method: 'POST', type, body: '{}', contentLength: false },
    );
  }
  for (const c of cases) {
    const res = await sendRaw(
      t.context.base,
      {
        method: c.method,
        path: '/',
        headers: { 'content-type': c.type },
        ...(c.body === undefined ? {} : { body: c.body }),
        ...(c.contentLength === false ? { contentLength: false } : {}),
      },
      t.context.agent,
    );
    const answer = JSON.parse(res.text) as { json: boolean; is: boolean };
    t.is(answer.json, answer.is, JSON.stringify(c));
  }
});

test('when the body comes after the headers (Expect: 100-continue), then it is read as it arrives', async (t) => {
  const body = '{"event_id":"e","amount":"10.00"}';
  const { port } = t.context.server.address() as AddressInfo;
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
    });
    // The server has taken the request (and the middleware is waiting) before the body is sent.
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
  });
  t.deepEqual(JSON.parse(text), { json: true, is: true, body: JSON.parse(body) as unknown, raw: body });
});
