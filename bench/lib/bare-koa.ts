/**
 * The baseline of GET /events: a bare Koa app whose one route returns bytes from memory: the body
 * bet-maker served, as application/json, and, to a client that accepts gzip, the gzip bytes bet-maker
 * served. Run as a child of the bench (`node --import tsx bench/lib/bare-koa.ts <json> <gzip>`); it
 * reports its port over IPC.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';

const [jsonFile, gzipFile] = process.argv.slice(2);
if (jsonFile === undefined || gzipFile === undefined) throw new Error('usage: bare-koa.ts <json> <gzip>');
const json = await readFile(jsonFile);
const gzipped = await readFile(gzipFile);
const app = new Koa();
const router = new Router();
router.get('/events', (ctx) => {
  ctx.type = 'application/json';
  if (ctx.get('Accept-Encoding').includes('gzip')) {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = gzipped;
  } else {
    ctx.body = json;
  }
});
app.use(router.routes());
const handler = app.callback();
const server = createServer((req, res) => void handler(req, res));
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');
process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
process.on('disconnect', () => process.exit(0));
