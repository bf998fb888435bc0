/**
 * `docker compose up --build`, checked without a container engine (none runs on our machines or in CI).
 *
 * 1. docker-compose 1.29 (Debian's, installed by .ci/install-chromium.sh) validates docker-compose.yml with
 *    .env.example, and every variable the file uses is in .env.example and read by the service.
 * 2. Each image is built from its Dockerfile by test/helpers/build-image.ts: every stage's COPY and RUN in a
 *    scratch directory (so `npm ci`, `npm run build`, the production-only install and .dockerignore are the
 *    real ones), then the final stage's CMD runs in its WORKDIR as its USER (uid 1000 for `node`), with the
 *    image's ENV plus the compose `environment`. Mapping, and nothing else: compose hosts -> 127.0.0.1,
 *    container ports -> free ports (through the variable the service reads, which must equal the port compose
 *    publishes), `postgres` -> a fresh database on the machine's PostgreSQL or an embedded one, volumes -> the
 *    image's directory at that path. A renamed variable, port, script or file fails here.
 * 3. The README's end-to-end steps run against them: an event created over gRPC is listed by GET /events, a bet
 *    on it is placed and becomes WON when the event finishes. Each HEALTHCHECK passes while the service runs
 *    and fails after it stopped; SIGTERM stops each service with exit 0 within its stop_grace_period.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { parse } from 'yaml';
import { createTestDatabase } from '../bet-maker/test/helpers/database.js';
import { buildWithoutEngine, type BuiltImage } from './helpers/build-image.js';
import { dockerignore, imageConfig, parseDockerfile } from './helpers/dockerfile.js';
import {
  dockerComposeConfig,
  findDockerCompose,
  loadCompose,
  parseEnvFile,
  type ComposeService,
} from './helpers/compose.js';
import { EventStatus, lineProviderClient, type LineProvider } from './helpers/grpc.js';
import { canConnect, eventually, freePort, runToEnd, start, type Started } from './helpers/process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const envExampleText = readFileSync(join(root, '.env.example'), 'utf8');
const envExample = parseEnvFile(envExampleText);
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = loadCompose(join(root, 'docker-compose.yml'), envExample);
const apps = Object.values(compose.services).filter((service) => service.build);

/** The variable each service reads its listening port from (CONTRACT.md, "Configuration"). */
const PORT_VARIABLE: Record<string, string> = { 'line-provider': 'LINE_PROVIDER_PORT', 'bet-maker': 'PORT' };
/** Where each service's configuration is parsed; every compose variable must be read there. */
const CONFIG_FILE: Record<string, string> = {
  'line-provider': 'line-provider/src/config.ts',
  'bet-maker': 'bet-maker/src/config.ts',
};
/**
 * Compose variables a service does not read yet, set ahead of the issue that adds them. The test fails as soon
 * as one is read, so that this list is emptied instead of going stale.
 */
const NOT_YET_READ: Record<string, string[]> = {};

interface Running {
  service: ComposeService;
  image: BuiltImage;
  env: Record<string, string>;
  hostPort: number;
  proc?: Started;
}

const state: {
  work?: string;
  db?: { url: string; drop(): Promise<void> };
  running: Map<string, Running>;
  lineProvider?: LineProvider;
} = { running: new Map() };

const isPostgres = (name: string) => compose.services[name]?.image?.startsWith('postgres') === true;

/** The compose healthcheck of a service if it has one, else its image's HEALTHCHECK, as an argv. */
function healthcheckOf(service: ComposeService, image?: Pick<BuiltImage, 'config'>): string[] | undefined {
  const test = service.healthcheck ?? image?.config.healthcheck?.command;
  if (test === undefined) return undefined;
  if (typeof test === 'string') return ['sh', '-c', test];
  if (test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD-SHELL') return ['sh', '-c', test[1]];
  if (test[0] === 'CMD') return test.slice(1);
  return test; // an image's exec form
}

/** The compose environment of `service` as it will run here: only hosts, ports and paths are mapped. */
function mapEnvironment(service: ComposeService, image: BuiltImage, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, ...image.config.env };
  for (const [key, value] of Object.entries(service.environment)) {
    if (key === PORT_VARIABLE[service.name]) {
      env[key] = String(state.running.get(service.name)!.hostPort);
      continue;
    }
    if (/^postgres(ql)?:\/\//.test(value) && isPostgres(new URL(value).hostname)) {
      env[key] = state.db!.url;
      continue;
    }
    const mount = service.volumes.find((v) => value === v.target || value.startsWith(`${v.target}/`));
    if (mount) {
      env[key] = image.hostPath(value);
      continue;
    }
    env[key] = value.replace(/\b([a-z0-9][a-z0-9_-]*):(\d+)\b/g, (whole, host: string, port: string) => {
      const target = state.running.get(host);
      if (!target) return whole;
      const listens = target.service.environment[PORT_VARIABLE[host]];
      if (listens !== port) throw new Error(`${service.name} ${key}=${value}: ${host} listens on ${listens}`);
      return `127.0.0.1:${target.hostPort}`;
    });
    for (const other of Object.keys(compose.services)) {
      if (new RegExp(`(^|[/@])${other}(:|/|$)`).test(env[key])) {
        throw new Error(`${service.name} ${key}=${value} names ${other} in a way this test cannot map`);
      }
    }
  }
  return env;
}

async function healthcheckPasses(running: Running): Promise<{ code: number | null; output: string }> {
  const argv = healthcheckOf(running.service, running.image)!;
  return runToEnd(argv, {
    cwd: running.image.hostPath(running.image.config.workdir),
    env: running.env,
    ...running.image.ids,
    timeoutMs: 10_000,
  });
}

/** Start order: each service after everything it depends on. */
function startOrder(): ComposeService[] {
  const ordered: ComposeService[] = [];
  const visit = (service: ComposeService) => {
    if (ordered.includes(service)) return;
    for (const dependency of Object.keys(service.dependsOn)) {
      const app = apps.find((a) => a.name === dependency);
      if (app) visit(app);
    }
    ordered.push(service);
  };
  apps.forEach(visit);
  return ordered;
}

/**
 * Builds the images without an engine and starts them as compose would; once, for the tests that need the
 * running stack (the static checks do not wait for it, nor fail with it).
 */
let stackStarted: Promise<void> | undefined;
function stack(t: ExecutionContext): Promise<void> {
  t.timeout(300_000);
  stackStarted ??= startStack((line) => t.log(line));
  return stackStarted;
}

async function startStack(log: (line: string) => void): Promise<void> {
  state.work = await mkdtemp(join(tmpdir(), 'compose-smoke-'));
  await chmod(state.work, 0o755); // the services run as uid 1000 and must reach their directories
  const started = Date.now();
  // allSettled: a failed build must not leave the other one writing into the scratch directory during cleanup.
  const builds = await Promise.allSettled(
    apps.map((service) =>
      buildWithoutEngine({
        context: join(root, service.build!.context),
        dockerfile: service.build!.dockerfile,
        workDir: join(state.work!, service.name),
        // The machine's npm settings, as a build host's would be; the Dockerfile's own ENV still wins.
        runEnv: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
        log: (line) => log(`${service.name}: ${line}`),
      }),
    ),
  );
  const failed = builds.find((build) => build.status === 'rejected');
  if (failed) throw failed.reason;
  const images = builds.map((build) => (build as PromiseFulfilledResult<BuiltImage>).value);
  log(`images built in ${Date.now() - started} ms`);
  state.db = await createTestDatabase();
  for (const [i, service] of apps.entries()) {
    state.running.set(service.name, { service, image: images[i], env: {}, hostPort: await freePort() });
  }

  for (const service of startOrder()) {
    const running = state.running.get(service.name)!;
    for (const [dependency, { condition }] of Object.entries(service.dependsOn)) {
      const upstream = state.running.get(dependency);
      if (condition === 'service_healthy' && upstream) {
        const health = await eventually(
          `${dependency} healthy (its healthcheck passes)`,
          async () => {
            if (upstream.proc!.child.exitCode !== null) return 'exited';
            const { code } = await healthcheckPasses(upstream);
            return code === 0 ? 'healthy' : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250, describe: () => upstream.proc!.output().slice(-3000) },
        );
        if (health === 'exited')
          throw new Error(`${dependency} exited:\n${upstream.proc!.output().slice(-3000)}`);
      }
    }
    const home = join(state.work, `home-${service.name}`);
    await mkdir(home);
    if (running.image.ids) await chown(home, running.image.ids.uid, running.image.ids.gid);
    // A volume starts as the image's directory at its path; the engine creates a missing one, owned by root.
    for (const mount of service.volumes)
      await mkdir(running.image.hostPath(mount.target), { recursive: true });
    running.env = mapEnvironment(service, running.image, home);
    const cmd = running.image.config.cmd;
    running.proc = start(typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd, {
      cwd: running.image.hostPath(running.image.config.workdir),
      env: running.env,
      ...running.image.ids,
    });
  }

  const betMaker = state.running.get('bet-maker')!;
  const ready = await eventually(
    'bet-maker /readyz answers 200',
    async () => {
      if (betMaker.proc!.child.exitCode !== null) return 'exited';
      const response = await fetch(`http://127.0.0.1:${betMaker.hostPort}/readyz`);
      await response.arrayBuffer();
      return response.status === 200 ? 'ready' : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, describe: () => betMaker.proc!.output().slice(-3000) },
  );
  if (ready === 'exited') throw new Error(`bet-maker exited:\n${betMaker.proc!.output().slice(-3000)}`);
  const provider = state.running.get('line-provider')!;
  // The writes need the admin token that compose gives line-provider, as a user's grpcurl would.
  state.lineProvider = lineProviderClient(
    `127.0.0.1:${provider.hostPort}`,
    provider.env.LINE_PROVIDER_ADMIN_TOKEN,
  );
  log(`stack ready ${Date.now() - started} ms after the build started`);
}

test.afterEach.always((t) => {
  if (t.passed) return;
  for (const { service, proc } of state.running.values()) {
    if (proc) t.log(`--- ${service.name} output (last 3000 characters) ---\n${proc.output().slice(-3000)}`);
  }
});

test.after.always(async () => {
  state.lineProvider?.close();
  for (const { proc } of state.running.values()) proc?.child.kill('SIGKILL');
  for (const { proc } of state.running.values()) if (proc) await proc.exited;
  await state.db?.drop();
  if (state.work) await rm(state.work, { recursive: true, force: true });
});

test.serial(
  'docker-compose validates the file, and .env.example has exactly the variables it uses',
  async (t) => {
    const used = new Set([...composeText.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
    t.deepEqual(
      [...used].sort(),
      Object.keys(envExample).sort(),
      'variables of docker-compose.yml vs .env.example',
    );
    // Each variable sits under a comment (a group of variables may share one).
    let commented = false;
    for (const line of envExampleText.split('\n').map((l) => l.trim())) {
      if (line.startsWith('#')) commented = true;
      else if (line === '') commented = false;
      else t.true(commented, `${line.split('=')[0]} has a comment in .env.example`);
    }

    const binary = await findDockerCompose();
    if (!binary) {
      t.log(
        'docker-compose is not installed, so the file was not validated by it: run .ci/install-chromium.sh',
      );
      return;
    }
    const result = await dockerComposeConfig(binary, root, '.env.example');
    if (!result.ok) return t.fail(`docker-compose config rejected docker-compose.yml:\n${result.error}`);
    // The same file as docker-compose reads it: this test's reading of the environment must agree.
    const resolved = parse(result.resolved) as {
      services: Record<string, { environment?: Record<string, unknown> }>;
    };
    for (const service of Object.values(compose.services)) {
      const theirs = Object.fromEntries(
        Object.entries(resolved.services[service.name]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
      );
      t.deepEqual(
        theirs,
        service.environment,
        `environment of ${service.name} as docker-compose resolves it`,
      );
    }
  },
);

test.serial('compose ports, hosts, credentials and variables match the images and the services', (t) => {
  const postgres = Object.values(compose.services).find((service) => isPostgres(service.name));
  t.truthy(postgres?.healthcheck, 'postgres has a healthcheck');
  t.truthy(
    postgres?.volumes.some((v) => compose.volumes.includes(v.source)),
    'postgres keeps its data on a named volume',
  );
  const ignored = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  for (const path of [
    '.git',
    '.env',
    'node_modules',
    'bet-maker/node_modules',
    'bet-maker/.data',
    'line-provider/dist',
  ]) {
    t.true(ignored(path), `.dockerignore keeps ${path} out of the build context`);
  }
  for (const service of apps) {
    const image = {
      config: imageConfig(
        parseDockerfile(join(root, service.build!.context, service.build!.dockerfile)).at(-1)!,
      ),
    };
    const portVariable = PORT_VARIABLE[service.name];
    const listens = Number(service.environment[portVariable]);
    t.true(
      service.ports.some((p) => p.target === listens),
      `${service.name} publishes the port it listens on (${portVariable}=${listens})`,
    );
    t.true(image.config.exposed.includes(listens), `${service.name}'s Dockerfile EXPOSEs ${listens}`);
    t.not(image.config.user, 'root', `${service.name} runs as a non-root user`);
    t.truthy(healthcheckOf(service, image), `${service.name} has a healthcheck`);
    for (const [dependency, { condition }] of Object.entries(service.dependsOn)) {
      t.is(condition, 'service_healthy', `${service.name} waits for ${dependency} to be healthy`);
      const upstream = compose.services[dependency];
      const upstreamImage = upstream.build
        ? {
            config: imageConfig(
              parseDockerfile(join(root, upstream.build.context, upstream.build.dockerfile)).at(-1)!,
            ),
          }
        : undefined;
      t.truthy(healthcheckOf(upstream, upstreamImage), `${dependency} has a healthcheck`);
    }
    for (const mount of service.volumes) {
      t.true(
        compose.volumes.includes(mount.source),
        `${service.name}: ${mount.source} is a declared named volume`,
      );
    }
    for (const [key, value] of Object.entries(service.environment)) {
      if (/^postgres(ql)?:\/\//.test(value)) {
        const url = new URL(value);
        const db = compose.services[url.hostname];
        t.truthy(db && isPostgres(url.hostname), `${key} points at the postgres service`);
        t.is(url.port || '5432', '5432', `${key} uses PostgreSQL's port`);
        t.is(decodeURIComponent(url.username), db?.environment.POSTGRES_USER ?? 'postgres', `${key} user`);
        t.is(decodeURIComponent(url.password), db?.environment.POSTGRES_PASSWORD, `${key} password`);
        t.is(url.pathname.slice(1), db?.environment.POSTGRES_DB ?? 'postgres', `${key} database`);
      }
    }
    const source = readFileSync(join(root, CONFIG_FILE[service.name]), 'utf8');
    for (const key of Object.keys(service.environment)) {
      const read = new RegExp(`\\b${key}\\b`).test(source);
      if (NOT_YET_READ[service.name]?.includes(key)) {
        t.false(read, `${service.name} reads ${key} now: remove it from NOT_YET_READ`);
        t.log(`${service.name}: ${key} is set by compose ahead of the issue that makes the service read it`);
      } else {
        t.true(read, `${service.name} reads ${key} (${CONFIG_FILE[service.name]})`);
      }
    }
  }
});

test.serial('when started as compose starts them, then every healthcheck passes', async (t) => {
  await stack(t);
  for (const running of state.running.values()) {
    const { code, output } = await healthcheckPasses(running);
    t.is(code, 0, `${running.service.name} healthcheck: ${output}`);
  }
  for (const service of Object.values(compose.services).filter((s) => isPostgres(s.name))) {
    const argv = healthcheckOf(service)!;
    const url = new URL(state.db!.url);
    const { code, output } = await runToEnd(argv, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PGPORT: url.port || '5432' },
      timeoutMs: 10_000,
    });
    t.is(code, 0, `${service.name} healthcheck (${argv.join(' ')}) against the test's PostgreSQL: ${output}`);
  }
});

test.serial('the services listen on every interface, as a published container port needs', async (t) => {
  await stack(t);
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
  if (!address) return t.log('no non-loopback IPv4 address on this machine; not checked');
  for (const { service, hostPort } of state.running.values()) {
    t.true(await canConnect(address, hostPort), `${service.name} answers on ${address}:${hostPort}`);
  }
});

test.serial(
  'when an event is created and finished, then a bet on it becomes WON (the README flow)',
  async (t) => {
    await stack(t);
    const betMaker = `http://127.0.0.1:${state.running.get('bet-maker')!.hostPort}`;
    const getJson = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${betMaker}${path}`);
      if (response.status !== 200)
        throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    type ApiEvent = { event_id: string; coefficient: string; deadline: string; status: string };
    type ApiBet = { bet_id: string; event_id: string; amount: string; coefficient: string; status: string };

    if (state.running.get('line-provider')!.env.LINE_PROVIDER_SEED_DEMO === 'true') {
      const events = await getJson<ApiEvent[]>('/events');
      t.true(
        events.some((e) => e.event_id === 'demo-1'),
        'LINE_PROVIDER_SEED_DEMO=true: the demo events are listed',
      );
    }

    const eventId = `compose-smoke-${randomUUID()}`;
    await state.lineProvider!.createEvent(eventId, '1.75', new Date(Date.now() + 3_600_000));
    const listed = await eventually(
      'GET /events lists the new event',
      async () => (await getJson<ApiEvent[]>('/events')).find((e) => e.event_id === eventId),
      { timeoutMs: 15_000 },
    );
    t.like(listed, { event_id: eventId, coefficient: '1.75', status: 'NEW' });

    const placed = await fetch(`${betMaker}/bet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: eventId, amount: '10.50' }),
    });
    const bet = (await placed.json()) as ApiBet;
    t.is(placed.status, 201, JSON.stringify(bet));
    t.like(bet, { event_id: eventId, amount: '10.50', coefficient: '1.75', status: 'PENDING' });

    await state.lineProvider!.finishEvent(eventId, EventStatus.EVENT_STATUS_FINISHED_WIN);
    const settled = await eventually(
      'GET /bets shows the bet WON',
      async () => {
        const bets = await getJson<ApiBet[]>(`/bets?event_id=${encodeURIComponent(eventId)}`);
        return bets.find((b) => b.bet_id === bet.bet_id && b.status === 'WON');
      },
      { timeoutMs: 20_000 },
    );
    t.like(await getJson<ApiBet>(`/bets/${settled.bet_id}`), { bet_id: bet.bet_id, status: 'WON' });
  },
);

test.serial('the image serves its OpenAPI document and an offline Swagger UI', async (t) => {
  await stack(t);
  const betMaker = `http://127.0.0.1:${state.running.get('bet-maker')!.hostPort}`;
  const openapi = (await (await fetch(`${betMaker}/openapi.json`)).json()) as {
    paths?: Record<string, unknown>;
  };
  for (const path of ['/events', '/bet', '/bets', '/bets/{bet_id}', '/healthz', '/readyz']) {
    t.truthy(openapi.paths?.[path], `openapi.json documents ${path}`);
  }
  const docs = await fetch(`${betMaker}/docs`);
  t.is(docs.status, 200);
  const html = await docs.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map(
    (m) => new URL(m[1], docs.url),
  );
  t.true(assets.length > 0, 'the page loads scripts or styles');
  for (const asset of assets) {
    t.is(asset.host, `127.0.0.1:${new URL(betMaker).port}`, `${asset.href} is served by bet-maker (offline)`);
    const response = await fetch(asset);
    await response.arrayBuffer(); // read to the end: an unread body would hold the connection open
    t.is(response.status, 200, `${asset.href} is served`);
  }
});

test.serial('SIGTERM stops each service with exit 0 within its stop_grace_period', async (t) => {
  await stack(t);
  // Compose stops dependants first.
  for (const service of startOrder().reverse()) {
    const running = state.running.get(service.name)!;
    const limit = service.stopGracePeriodSeconds * 1000;
    const { code, signal, ms } = await running.proc!.stop('SIGTERM', limit);
    t.is(code, 0, `${service.name} exit code (signal ${signal})`);
    t.log(`${service.name} stopped in ${ms} ms (stop_grace_period ${limit} ms)`);
    const after = await healthcheckPasses(running);
    t.not(after.code, 0, `${service.name} healthcheck fails once it stopped`);
  }
  // What a service keeps in a volume must have been written there (e.g. line-provider's journal).
  for (const { service, image } of state.running.values()) {
    for (const mount of service.volumes) {
      const variable = Object.keys(service.environment).find(
        (key) => service.environment[key] === mount.target,
      );
      if (!variable || NOT_YET_READ[service.name]?.includes(variable)) continue;
      const written = await readdir(image.hostPath(mount.target));
      t.true(written.length > 0, `${service.name} wrote into its volume ${mount.source} (${variable})`);
    }
  }
});
