/**
 * Builds a Dockerfile without a container engine: each stage gets a scratch directory that stands in for
 * its filesystem root, COPY copies from the build context (honouring .dockerignore) or from an earlier
 * stage, and RUN runs on this machine in the mapped WORKDIR. The base image is stood in for by this
 * machine's Node.js and npm (the image has a newer Node; the code targets both). What comes out is the final
 * stage's directory plus its settings (WORKDIR, ENV, USER, EXPOSE, HEALTHCHECK, CMD), so that a test can
 * start the container's command exactly as the engine would, and a file the image forgets to copy, a
 * script that does not exist or a dev dependency needed at run time fails the test.
 *
 * Limits: RUN commands must use paths relative to WORKDIR (they run on this machine, so `/data` would be
 * this machine's `/data`); a RUN after a non-root USER is refused.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, stat, chown } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { dockerignore, imageConfig, parseDockerfile, type ImageConfig, type Stage } from './dockerfile.js';

/** User ids of the official node images (`node` is 1000:1000); other names are not known here. */
const KNOWN_USERS: Record<string, { uid: number; gid: number }> = {
  root: { uid: 0, gid: 0 },
  node: { uid: 1000, gid: 1000 },
};

export interface BuiltImage {
  /** The final stage's directory: the image's `/`. */
  root: string;
  config: ImageConfig;
  /** Ids of the image's USER, when this process may switch to them (it runs as root); else undefined. */
  ids?: { uid: number; gid: number };
  /** Where a path inside the image lives on this machine. */
  hostPath(containerPath: string): string;
}

export interface BuildOptions {
  /** The build context (compose `build.context`). */
  context: string;
  /** Dockerfile path relative to the context (compose `build.dockerfile`). */
  dockerfile: string;
  /** An empty scratch directory; one subdirectory per stage is made in it. */
  workDir: string;
  /** Extra environment for RUN (e.g. npm settings of this machine); never overrides the Dockerfile's ENV. */
  runEnv?: Record<string, string>;
  log?: (line: string) => void;
}

function idsOf(spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const ids = KNOWN_USERS[user];
  const groupIds = KNOWN_USERS[group ?? user];
  if (!ids || !groupIds) throw new Error(`unknown user ${spec}: add its ids to KNOWN_USERS`);
  return { uid: ids.uid, gid: groupIds.gid };
}

const isRoot = () => process.getuid?.() === 0;

async function chownTree(path: string, ids: { uid: number; gid: number }): Promise<void> {
  if (!isRoot()) return;
  await run(['chown', '-R', `${ids.uid}:${ids.gid}`, path], {
    cwd: '/',
    env: { PATH: process.env.PATH ?? '' },
  });
}

function run(
  argv: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Builds every stage in order and returns the last one. */
export async function buildWithoutEngine(options: BuildOptions): Promise<BuiltImage> {
  const dockerfilePath = join(options.context, options.dockerfile);
  const stages = parseDockerfile(dockerfilePath);
  const ignored = dockerignore(
    await readFile(join(options.context, '.dockerignore'), 'utf8').catch(() => ''),
  );
  const roots: string[] = [];
  const log = options.log ?? (() => {});

  const stageRoot = (from: string): string => {
    const index = stages.findIndex((stage, i) => stage.name === from || String(i) === from);
    if (index < 0 || index >= roots.length)
      throw new Error(`COPY --from=${from}: no earlier stage of that name`);
    return roots[index];
  };

  for (const [index, stage] of stages.entries()) {
    const root = join(options.workDir, `stage-${index}-${stage.name ?? 'final'}`);
    await mkdir(root, { recursive: true, mode: 0o755 });
    roots.push(root);
    await buildStage(stage, root, { ...options, ignored, stageRoot, log });
  }

  const final = stages.at(-1)!;
  const root = roots.at(-1)!;
  const config = imageConfig(final);
  return {
    root,
    config,
    ids: isRoot() ? idsOf(config.user) : undefined,
    hostPath: (containerPath) => join(root, containerPath),
  };
}

interface StageContext extends BuildOptions {
  ignored: (path: string) => boolean;
  stageRoot: (from: string) => string;
  log: (line: string) => void;
}

async function buildStage(stage: Stage, root: string, ctx: StageContext): Promise<void> {
  let workdir = '/';
  let user = 'root';
  const env: Record<string, string> = {};
  const inImage = (path: string) => join(root, path.startsWith('/') ? path : join(workdir, path));

  for (const step of stage.instructions) {
    switch (step.kind) {
      case 'WORKDIR':
        workdir = step.path.startsWith('/') ? step.path : join(workdir, step.path);
        await mkdir(inImage(workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(env, step.vars);
        break;
      case 'USER':
        user = step.user;
        break;
      case 'COPY':
        await copyStep(step, inImage, ctx);
        break;
      case 'RUN': {
        if (user !== 'root')
          throw new Error(`RUN after USER ${user} is not supported by the engine-free build`);
        const argv = typeof step.command === 'string' ? ['sh', '-c', step.command] : step.command;
        const text = argv.join(' ');
        // It runs on this machine: an absolute path would touch this machine's filesystem, not the image's.
        if (/(^|[\s=;&|])\/(?!dev\/null)/.test(typeof step.command === 'string' ? step.command : text)) {
          throw new Error(`RUN uses an absolute path, which the engine-free build cannot map: ${text}`);
        }
        const started = Date.now();
        const { code, output } = await run(argv, {
          cwd: inImage(workdir),
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...ctx.runEnv, ...env },
        });
        ctx.log(`RUN ${text} (${Date.now() - started} ms, exit ${code})`);
        if (code !== 0) throw new Error(`RUN ${text} failed with exit ${code}:\n${output.slice(-4000)}`);
        break;
      }
      default:
        break; // EXPOSE, HEALTHCHECK, CMD: settings only, read by imageConfig.
    }
  }
}

async function copyStep(
  step: Extract<Stage['instructions'][number], { kind: 'COPY' }>,
  inImage: (path: string) => string,
  ctx: StageContext,
): Promise<void> {
  const destIsDir = step.dest.endsWith('/') || step.sources.length > 1;
  const dest = inImage(step.dest);
  for (const source of step.sources) {
    let from: string;
    if (step.from !== undefined) {
      from = join(ctx.stageRoot(step.from), source);
    } else {
      const inContext = relative('.', join('.', source)) || '.';
      if (inContext.startsWith('..')) throw new Error(`COPY ${source}: outside the build context`);
      if (inContext !== '.' && ctx.ignored(inContext)) {
        throw new Error(`COPY ${source}: excluded by .dockerignore, so the engine would not find it`);
      }
      from = join(ctx.context, inContext);
    }
    const info = await stat(from).catch(() => undefined);
    if (!info) throw new Error(`COPY ${source}: not found (${from})`);
    // A directory's contents are copied into the destination; a file goes into it (or becomes it).
    const target = info.isDirectory() ? dest : destIsDir ? join(dest, basename(source)) : dest;
    await mkdir(info.isDirectory() ? target : join(target, '..'), { recursive: true });
    await cp(from, target, {
      recursive: true,
      verbatimSymlinks: true,
      filter:
        step.from === undefined
          ? (path) => {
              const inContext = relative(ctx.context, path);
              return inContext === '' || !ctx.ignored(inContext);
            }
          : undefined,
    });
    if (step.chown) {
      const ids = idsOf(step.chown);
      await chownTree(target, ids);
      if (isRoot()) await chown(target, ids.uid, ids.gid);
    }
  }
}
