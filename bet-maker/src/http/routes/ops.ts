import type Router from '@koa/router';
import { countOrphanedBets } from '../../db/events-repo.js';
import type { HttpDeps } from '../deps.js';

/** Resolves to undefined when `p` takes longer than `ms` (a hung database must not hang a probe). */
const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

export function opsRoutes(router: Router, deps: HttpDeps): void {
  /**
   * @openapi
   * /healthz:
   *   get:
   *     summary: Liveness
   *     tags: [operations]
   *     responses:
   *       200:
   *         description: The process is alive
   *         content:
   *           application/json:
   *             schema: { type: object, properties: { status: { type: string, enum: [ok] } } }
   */
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  /**
   * @openapi
   * /readyz:
   *   get:
   *     summary: Readiness
   *     description: 200 when the database answers and the event stream is live (first snapshot applied and
   *       connected); 503 otherwise. The body says which check failed and how many bets are orphaned;
   *       `line_provider_access` is not `ok` while line-provider refuses bet-maker's token or certificate
   *       (UNAUTHENTICATED or PERMISSION_DENIED, a configuration error; bet-maker keeps retrying).
   *     tags: [operations]
   *     responses:
   *       200:
   *         description: Ready
   *         content:
   *           application/json:
   *             schema: { $ref: '#/components/schemas/Readiness' }
   *       503:
   *         description: Not ready
   *         content:
   *           application/json:
   *             schema: { $ref: '#/components/schemas/Readiness' }
   */
  router.get('/readyz', async (ctx) => {
    const orphaned = await within(
      countOrphanedBets(deps.db).catch(() => undefined),
      2_000,
    );
    const database = orphaned === undefined ? 'unreachable' : 'ok';
    const stream = deps.watcher.state;
    const refused = deps.lineProviderAccess?.refused;
    const access = refused === undefined ? 'ok' : refused.code.toLowerCase();
    const ready = database === 'ok' && stream === 'live' && deps.watcher.synced && refused === undefined;
    if (orphaned !== undefined) deps.metrics.orphanedBets.set(orphaned);
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'not ready',
      checks: { database, event_stream: stream, synced: deps.watcher.synced, line_provider_access: access },
      orphaned_bets: orphaned ?? null,
      ...(refused === undefined
        ? {}
        : {
            detail:
              `line-provider refuses bet-maker's credentials (${refused.code}) since ${refused.since.toISOString()}: ` +
              'check LINE_PROVIDER_READ_TOKEN and the LINE_PROVIDER_TLS_* settings',
          }),
    };
  });

  /**
   * @openapi
   * /metrics:
   *   get:
   *     summary: Prometheus metrics
   *     tags: [operations]
   *     responses:
   *       200:
   *         description: Prometheus text exposition format
   *         content:
   *           text/plain: { schema: { type: string } }
   */
  router.get('/metrics', async (ctx) => {
    const orphaned = await within(
      countOrphanedBets(deps.db).catch(() => undefined),
      2_000,
    );
    if (orphaned !== undefined) deps.metrics.orphanedBets.set(orphaned);
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
