import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { koaSwagger } from 'koa2-swagger-ui';
import { buildOpenApi } from '../openapi.js';

const require = createRequire(import.meta.url);
// Not the package's index: that one loads and runs swagger-ui's 1.4 MB browser bundle, which cost 40 MB of
// memory and 0.7 s at every start (measured) for a path.
const distDir = (require('swagger-ui-dist/absolute-path.js') as () => string)();

/** swagger-ui-dist files the page needs; koa2-swagger-ui asks for `.min.css`, the dist has `.css`. */
const ASSETS: Record<string, [file: string, type: string]> = {
  'swagger-ui.min.css': ['swagger-ui.css', 'text/css'],
  'swagger-ui.css': ['swagger-ui.css', 'text/css'],
  'swagger-ui-bundle.js': ['swagger-ui-bundle.js', 'application/javascript'],
  'swagger-ui-standalone-preset.js': ['swagger-ui-standalone-preset.js', 'application/javascript'],
  'favicon-32x32.png': ['favicon-32x32.png', 'image/png'],
};

export function docsRoutes(router: Router): void {
  const spec = JSON.stringify(buildOpenApi());

  /**
   * @openapi
   * /openapi.json:
   *   get:
   *     summary: This OpenAPI document
   *     tags: [documentation]
   *     responses:
   *       200: { description: OpenAPI 3, content: { application/json: { schema: { type: object } } } }
   */
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = spec;
  });

  const ui = koaSwagger({
    routePrefix: '/docs',
    title: 'bet-maker API',
    swaggerCdnUrl: '/docs/assets',
    swaggerVersion: 'local',
    favicon: '/docs/assets/local/favicon-32x32.png',
    swaggerOptions: { url: '/openapi.json', validatorUrl: null },
  });
  /**
   * @openapi
   * /docs:
   *   get:
   *     summary: Swagger UI (served from local files, works offline)
   *     tags: [documentation]
   *     responses:
   *       200: { description: HTML page, content: { text/html: { schema: { type: string } } } }
   */
  router.get('/docs', offline(ui));

  /**
   * @openapi
   * /docs/assets/{version}/{file}:
   *   get:
   *     summary: Swagger UI's static files (from swagger-ui-dist)
   *     tags: [documentation]
   *     parameters:
   *       - { in: path, name: version, required: true, schema: { type: string } }
   *       - { in: path, name: file, required: true, schema: { type: string } }
   *     responses:
   *       200: { description: The file }
   *       404: { $ref: '#/components/responses/NotFound' }
   */
  router.get('/docs/assets/:version/:file', (ctx) => {
    const asset = ASSETS[ctx.params.file ?? ''];
    if (asset === undefined) return;
    ctx.type = asset[1];
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = createReadStream(join(distDir, asset[0]));
  });
}

/**
 * koa2-swagger-ui's page links Google Fonts; drop that so the page loads nothing from the internet. The
 * page gets a Content-Security-Policy of its own: scripts only from here plus its one inline script (by
 * hash), so an injected script cannot run; inline styles stay allowed because Swagger UI uses them.
 */
function offline(ui: Middleware): Middleware {
  return async (ctx, next) => {
    await ui(ctx, next);
    if (typeof ctx.body === 'string') {
      const html = ctx.body.replace(/<link[^>]+href="https?:\/\/[^"]*"[^>]*>\s*/g, '');
      ctx.body = html;
      ctx.set('Content-Security-Policy', docsCsp(html));
    }
  };
}

function docsCsp(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
