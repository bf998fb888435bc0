/**
 * bet-maker's Swagger UI in a real browser: Debian's Chromium (installed by .ci/install-chromium.sh, never
 * downloaded) driven by playwright-core. Both services run in this process against a real PostgreSQL; every
 * request the page makes to anything but 127.0.0.1 is refused, so the page is shown to work offline.
 *
 * Screenshots for the README are written to docs/ only when UPDATE_SCREENSHOTS=1, so that CI leaves the tree
 * clean: `UPDATE_SCREENSHOTS=1 npx ava test/docs-browser.test.ts`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { createApp as createBetMaker, type App as BetMaker } from '../bet-maker/src/app.js';
import { loadConfig as loadBetMakerConfig } from '../bet-maker/src/config.js';
import { createTestDatabase } from '../bet-maker/test/helpers/database.js';
import { createApp as createLineProvider, type App as LineProvider } from '../line-provider/src/app.js';
import { buildConfig as lineProviderConfig } from '../line-provider/src/config.js';
import { eventually } from './helpers/process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags the machine's own browser probe uses; without the networking ones Chromium calls Google at start. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const docsDir = fileURLToPath(new URL('../docs/', import.meta.url));
const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

/** Every route of CONTRACT.md's bet-maker table. */
const CONTRACT_ROUTES = [
  'GET /events',
  'POST /bet',
  'GET /bets',
  'GET /bets/{bet_id}',
  'GET /docs',
  'GET /openapi.json',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
];

const EVENT_ID = 'docs-browser-derby';

const state: {
  db?: { url: string; drop(): Promise<void> };
  lineProvider?: LineProvider;
  betMaker?: BetMaker;
  baseUrl?: string;
  browser?: Browser;
} = {};

test.before(async (t) => {
  t.timeout(120_000);
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run .ci/install-chromium.sh (Debian's chromium package)`,
    );
  }
  const silent = pino({ level: 'silent' });
  state.db = await createTestDatabase();
  state.lineProvider = createLineProvider(
    lineProviderConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent' }),
    {
      logger: silent,
    },
  );
  const { port: lineProviderPort } = await state.lineProvider.start();
  await state.lineProvider.store.create({
    eventId: EVENT_ID,
    coefficient: '2.25',
    deadline: new Date(Date.now() + 3_600_000),
  });
  state.betMaker = createBetMaker(
    loadBetMakerConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: state.db.url,
      LINE_PROVIDER_URL: `127.0.0.1:${lineProviderPort}`,
      LOG_LEVEL: 'silent',
    }),
    { logger: silent },
  );
  const { port } = await state.betMaker.start();
  state.baseUrl = `http://127.0.0.1:${port}`;
  await eventually(
    'bet-maker /readyz answers 200',
    async () => ((await fetch(`${state.baseUrl}/readyz`)).status === 200 ? true : undefined),
    { timeoutMs: 30_000 },
  );
  state.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

test.after.always(async () => {
  await state.browser?.close();
  await state.betMaker?.stop();
  await state.lineProvider?.stop();
  await state.db?.drop();
});

/** A page on which every request to a host other than 127.0.0.1 fails; returns what was refused. */
async function offlinePage(): Promise<{ page: Page; refused: string[] }> {
  const context = await state.browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const refused: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    refused.push(url.href);
    return route.abort('internetdisconnected');
  });
  return { page: await context.newPage(), refused };
}

test('when /docs is opened with no internet, then Swagger UI lists every route of the contract', async (t) => {
  const { page, refused } = await offlinePage();
  const failed: string[] = [];
  page.on('requestfailed', (request) => failed.push(request.url()));
  await page.goto(`${state.baseUrl}/docs`);
  await page.locator('.opblock').first().waitFor();

  const listed: string[] = [];
  for (const block of await page.locator('.opblock').all()) {
    const method = await block.locator('.opblock-summary-method').textContent();
    const path = await block.locator('.opblock-summary-path').getAttribute('data-path');
    listed.push(`${method?.trim()} ${path}`);
  }
  for (const route of CONTRACT_ROUTES)
    t.true(listed.includes(route), `${route} is listed (listed: ${listed.join(', ')})`);
  t.deepEqual(
    failed.filter((url) => new URL(url).hostname === '127.0.0.1'),
    [],
    'every local asset loads',
  );
  t.deepEqual(refused, [], 'the page asks nothing of the internet');
  if (updateScreenshots) {
    await page.screenshot({ path: join(docsDir, 'swagger-ui.png'), fullPage: true });
    t.log(`wrote ${join(docsDir, 'swagger-ui.png')}`);
  }
  await page.context().close();
});

test('when a bet is placed with "Try it out" on POST /bet, then GET /bets finds it', async (t) => {
  const { page } = await offlinePage();
  await page.goto(`${state.baseUrl}/docs`);
  const operation = page.locator('.opblock-post').filter({ has: page.locator('[data-path="/bet"]') });
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  const body = operation.locator('textarea.body-param__text');
  await body.fill(JSON.stringify({ event_id: EVENT_ID, amount: '12.50' }, null, 2));
  await operation.getByRole('button', { name: 'Execute' }).click();

  const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
  await status.waitFor();
  t.is((await status.textContent())?.trim(), '201');
  const shown = await operation
    .locator('.live-responses-table tr.response .response-col_description pre')
    .first()
    .textContent();
  const bet = JSON.parse(shown ?? '') as { bet_id: string; event_id: string; amount: string; status: string };
  t.like(bet, { event_id: EVENT_ID, amount: '12.50', coefficient: '2.25', status: 'PENDING' });

  const response = await fetch(`${state.baseUrl}/bets?event_id=${EVENT_ID}`);
  t.is(response.status, 200);
  const bets = (await response.json()) as { bet_id: string; amount: string; status: string }[];
  t.like(
    bets.find((b) => b.bet_id === bet.bet_id),
    { amount: '12.50', status: 'PENDING' },
  );

  if (updateScreenshots) {
    // From the operation's header down to the live response: the documented responses below add nothing.
    const scrollY = Number(await page.evaluate('window.scrollY'));
    const top = (await operation.boundingBox())!;
    const live = (await operation.locator('.live-responses-table').boundingBox())!;
    const path = join(docsDir, 'swagger-ui-place-bet.png');
    await page.screenshot({
      path,
      fullPage: true,
      clip: { x: top.x, y: top.y + scrollY, width: top.width, height: live.y + live.height - top.y + 8 },
    });
    t.log(`wrote ${path}`);
  }
  await page.context().close();
});
