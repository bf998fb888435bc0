import { execFile } from 'node:child_process';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { imageConfig, parseDockerfile } from '../../test/helpers/dockerfile.js';
import { progress } from './concurrency.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the services' entry points are: compiled (as the Dockerfiles run them) or through tsx. */
export interface Entrypoints {
  'line-provider': string[];
  'bet-maker': string[];
}

let built: Entrypoints | undefined;

/**
 * Compiles both services with their production tsconfig (`tsconfig.build.json`, what `npm run build` and
 * the Dockerfiles use) into the run's directory, so that the bench measures what production runs:
 * `node <the Dockerfile's flags> dist/main.js`. tsx would add about 35 MB to each service's RSS (measured)
 * and its own start-up. With `tsx: true`, runs the sources through tsx instead (no build step).
 */
export async function entrypoints(tmpDir: string, tsx: boolean): Promise<Entrypoints> {
  if (tsx)
    return {
      'line-provider': [...nodeFlags('line-provider'), '--import', 'tsx', 'src/main.ts'],
      'bet-maker': [...nodeFlags('bet-maker'), '--import', 'tsx', 'src/main.ts'],
    };
  if (built !== undefined) return built;
  const out: Partial<Entrypoints> = {};
  for (const service of ['line-provider', 'bet-maker'] as const) {
    // Under a `dist` folder, which the lint configuration already ignores.
    const outDir = join(tmpDir, 'dist', service);
    progress(`compiling ${service} (tsc -p ${service}/tsconfig.build.json)`);
    // tsc emits even when another engineer's work in progress does not type-check; only its exit code says so.
    await exec(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, service, 'tsconfig.build.json'),
        '--outDir',
        outDir,
      ],
      {
        cwd: root,
      },
    ).catch((err: { stdout?: string }) => {
      if (!/error TS/.test(err.stdout ?? '')) throw err;
      progress(`${service}: type errors in the working tree; running what tsc emitted anyway`);
    });
    if (service === 'line-provider') {
      for (const f of await readdir(join(root, service, 'src', 'gen'))) {
        if (f.endsWith('.binpb'))
          await copyFile(join(root, service, 'src', 'gen', f), join(outDir, 'gen', f));
      }
    }
    out[service] = [...nodeFlags(service), join(outDir, 'main.js')];
  }
  built = out as Entrypoints;
  return built;
}

/**
 * The Node.js flags of the service's image: its Dockerfile's `CMD ["node", ...flags, "dist/main.js"]`, so the
 * bench runs the services with what production runs (line-provider's V8 young-generation limit, for one).
 */
function nodeFlags(service: keyof Entrypoints): string[] {
  const stages = parseDockerfile(join(root, service, 'Dockerfile'));
  const final = stages.at(-1);
  const cmd = final === undefined ? undefined : imageConfig(final).cmd;
  if (!Array.isArray(cmd) || cmd[0] !== 'node' || cmd.at(-1) !== 'dist/main.js')
    throw new Error(
      `${service}/Dockerfile: expected CMD ["node", ...flags, "dist/main.js"], got ${String(cmd)}`,
    );
  return cmd.slice(1, -1);
}
