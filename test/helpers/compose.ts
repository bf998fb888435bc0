/**
 * Reads docker-compose.yml the way Compose does, for checks that run without a container engine:
 * `.env`-style files, `${VAR}` interpolation, and typed views of a service's environment, ports, volumes,
 * healthcheck and dependencies. Only the syntax this repository's compose file uses is accepted; anything
 * else throws, so that a new construct is noticed here instead of being silently misread.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

/** Parses a `.env` file: `KEY=value` lines, `#` comments, optional single or double quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`not a KEY=value line: ${raw}`);
    const value = match[2];
    env[match[1]] = /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

/**
 * Compose interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`. A missing required variable throws with Compose's message.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_all, dollar: string | undefined, name?: string, op?: string, arg?: string, bare?: string) => {
      if (dollar) return '$';
      const key = (name ?? bare)!;
      const value = env[key];
      const unset = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (op?.endsWith('-')) return unset ? arg! : value!;
      if (op?.endsWith('?')) {
        if (unset) throw new Error(`required variable ${key} is missing a value: ${arg}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

function interpolateDeep(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return value;
}

export interface PortMapping {
  /** Host port, as published. */
  published: number;
  /** Port inside the container. */
  target: number;
}

export interface VolumeMount {
  /** Named volume or host path. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
}

/** A service of the compose file, after interpolation, in the shapes the checks need. */
export interface ComposeService {
  name: string;
  image?: string;
  build?: { context: string; dockerfile: string };
  environment: Record<string, string>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  /** `test` of the service's own healthcheck, as given (`['CMD', ...]`, `['CMD-SHELL', cmd]` or a string). */
  healthcheck?: string[] | string;
  dependsOn: Record<string, { condition: string }>;
  /** Seconds Compose waits after SIGTERM before it kills the container (default 10). */
  stopGracePeriodSeconds: number;
  raw: Record<string, unknown>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: string[];
}

function seconds(duration: unknown, fallback: number): number {
  if (duration === undefined) return fallback;
  const match = typeof duration === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration) : null;
  if (!match) throw new Error(`unsupported duration ${JSON.stringify(duration)}`);
  const n = Number(match[1]);
  return match[2] === 'ms' ? n / 1000 : match[2] === 'm' ? n * 60 : n;
}

function environmentOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const [key, ...rest] = String(entry).split('=');
        return [key, rest.join('=')];
      }),
    );
  }
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v ?? '')]));
}

function portsOf(value: unknown): PortMapping[] {
  return ((value as unknown[] | undefined) ?? []).map((entry) => {
    const match = /^(?:(?:[\d.]+):)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(entry));
    if (!match) throw new Error(`unsupported port mapping ${String(entry)} (use "host:container")`);
    return { published: Number(match[1]), target: Number(match[2]) };
  });
}

function volumesOf(value: unknown): VolumeMount[] {
  return ((value as unknown[] | undefined) ?? []).map((entry) => {
    const [source, target] = String(entry).split(':');
    if (!source || !target?.startsWith('/')) throw new Error(`unsupported volume ${String(entry)}`);
    return { source, target };
  });
}

function dependsOnOf(value: unknown): Record<string, { condition: string }> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((name) => [String(name), { condition: 'service_started' }]));
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, { condition?: string }>).map(([name, dep]) => [
      name,
      { condition: dep.condition ?? 'service_started' },
    ]),
  );
}

/** Loads and interpolates a compose file with the given variables (Compose reads them from `.env`). */
export function loadCompose(file: string, env: Record<string, string | undefined>): ComposeFile {
  const doc = interpolateDeep(parse(readFileSync(file, 'utf8')), env) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(doc.services)) {
    const build = raw.build as { context?: string; dockerfile?: string } | string | undefined;
    const healthcheck = raw.healthcheck as { test?: string[] | string } | undefined;
    services[name] = {
      name,
      image: raw.image as string | undefined,
      build:
        build === undefined
          ? undefined
          : typeof build === 'string'
            ? { context: build, dockerfile: 'Dockerfile' }
            : { context: build.context ?? '.', dockerfile: build.dockerfile ?? 'Dockerfile' },
      environment: environmentOf(raw.environment),
      ports: portsOf(raw.ports),
      volumes: volumesOf(raw.volumes),
      healthcheck: healthcheck?.test,
      dependsOn: dependsOnOf(raw.depends_on),
      stopGracePeriodSeconds: seconds(raw.stop_grace_period, 10),
      raw,
    };
  }
  return { services, volumes: Object.keys(doc.volumes ?? {}) };
}

/** Path of Debian's docker-compose (1.29), or undefined when it is not installed. */
export async function findDockerCompose(): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v docker-compose']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `docker-compose --env-file <envFile> config` in `dir`: validates and prints the resolved file. */
export async function dockerComposeConfig(
  binary: string,
  dir: string,
  envFile: string,
): Promise<{ ok: true; resolved: string } | { ok: false; error: string }> {
  try {
    const { stdout } = await run(binary, ['--env-file', envFile, 'config'], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    return { ok: true, resolved: stdout };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { ok: false, error: e.stderr || e.message };
  }
}
