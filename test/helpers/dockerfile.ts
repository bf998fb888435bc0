/**
 * Parses a Dockerfile and its `.dockerignore`, for checks that run without a container engine.
 * Supported: ARG (before FROM), FROM ... AS, WORKDIR, COPY [--from] [--chown], RUN, ENV, USER, EXPOSE,
 * HEALTHCHECK, CMD. Any other instruction throws, so a construct the engine-free build cannot reproduce is
 * noticed here rather than skipped.
 */
import { readFileSync } from 'node:fs';

export type Instruction =
  | { kind: 'WORKDIR'; path: string }
  | { kind: 'COPY'; from?: string; chown?: string; sources: string[]; dest: string }
  | { kind: 'RUN'; command: string[] | string }
  | { kind: 'ENV'; vars: Record<string, string> }
  | { kind: 'USER'; user: string }
  | { kind: 'EXPOSE'; ports: number[] }
  | { kind: 'HEALTHCHECK'; options: Record<string, string>; command: string[] | string }
  | { kind: 'CMD'; command: string[] | string };

export interface Stage {
  /** The `AS` name, if any. */
  name?: string;
  /** Base image, with ARGs substituted. */
  image: string;
  instructions: Instruction[];
}

/** Joins continuation lines and drops comments and blank lines. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      current += raw.slice(0, -1) + ' ';
      continue;
    }
    current += raw;
    if (current.trim() !== '') lines.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') lines.push(current.trim());
  return lines;
}

/** Exec form (`["a", "b"]`) or shell form. */
function commandOf(rest: string): string[] | string {
  if (rest.startsWith('[')) {
    const parsed: unknown = JSON.parse(rest);
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
      throw new Error(`bad exec form: ${rest}`);
    }
    return parsed;
  }
  return rest;
}

/** Leading `--flag=value` options of an instruction. */
function splitFlags(rest: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let remaining = rest;
  for (
    let match = /^--([a-z-]+)=(\S+)\s+/.exec(remaining);
    match;
    match = /^--([a-z-]+)=(\S+)\s+/.exec(remaining)
  ) {
    flags[match[1]] = match[2]!;
    remaining = remaining.slice(match[0].length);
  }
  return { flags, rest: remaining };
}

/** Parses a Dockerfile into stages; `buildArgs` override the ARG defaults. */
export function parseDockerfile(file: string, buildArgs: Record<string, string> = {}): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const substitute = (text: string) =>
    text.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, a?: string, b?: string) => {
        const value = args[(a ?? b)!];
        if (value === undefined) throw new Error(`undefined ARG ${a ?? b} in ${file}`);
        return value;
      },
    );
  for (const line of logicalLines(readFileSync(file, 'utf8'))) {
    const [, keyword, rest = ''] = /^(\S+)\s*(.*)$/.exec(line)!;
    const kind = keyword.toUpperCase();
    const stage = stages.at(-1);
    if (kind === 'ARG' && !stage) {
      const [name, value] = rest.split('=');
      args[name] = buildArgs[name] ?? value ?? '';
      continue;
    }
    if (kind === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      if (!image) throw new Error(`bad FROM: ${line}`);
      stages.push({ name, image: substitute(image), instructions: [] });
      continue;
    }
    if (!stage) throw new Error(`${kind} before FROM in ${file}`);
    switch (kind) {
      case 'WORKDIR':
        stage.instructions.push({ kind, path: rest });
        break;
      case 'COPY': {
        const { flags, rest: paths } = splitFlags(rest);
        const unknown = Object.keys(flags).filter((flag) => flag !== 'from' && flag !== 'chown');
        if (unknown.length > 0) throw new Error(`unsupported COPY flags ${unknown.join(', ')}`);
        const parts = paths.split(/\s+/);
        if (parts.length < 2 || parts.some((part) => /[*?[]/.test(part))) {
          throw new Error(`unsupported COPY (wildcards or no destination): ${line}`);
        }
        stage.instructions.push({
          kind,
          from: flags.from,
          chown: flags.chown,
          sources: parts.slice(0, -1),
          dest: parts.at(-1)!,
        });
        break;
      }
      case 'RUN':
      case 'CMD':
        stage.instructions.push({ kind, command: commandOf(rest) });
        break;
      case 'ENV': {
        const vars: Record<string, string> = {};
        for (const pair of rest.split(/\s+/)) {
          const [key, ...value] = pair.split('=');
          if (value.length === 0) throw new Error(`use ENV KEY=value: ${line}`);
          vars[key] = value.join('=');
        }
        stage.instructions.push({ kind, vars });
        break;
      }
      case 'USER':
        stage.instructions.push({ kind, user: rest });
        break;
      case 'EXPOSE':
        stage.instructions.push({
          kind,
          ports: rest.split(/\s+/).map((port) => Number(port.replace('/tcp', ''))),
        });
        break;
      case 'HEALTHCHECK': {
        const { flags, rest: command } = splitFlags(rest);
        if (!command.startsWith('CMD ')) throw new Error(`unsupported HEALTHCHECK: ${line}`);
        stage.instructions.push({ kind, options: flags, command: commandOf(command.slice(4).trim()) });
        break;
      }
      default:
        throw new Error(`unsupported instruction ${kind} in ${file}`);
    }
  }
  return stages;
}

/** The settings the final stage leaves in the image: what `docker run` starts with. */
export interface ImageConfig {
  workdir: string;
  env: Record<string, string>;
  user: string;
  exposed: number[];
  cmd: string[] | string;
  healthcheck?: { options: Record<string, string>; command: string[] | string };
}

export function imageConfig(stage: Stage): ImageConfig {
  const config: Partial<ImageConfig> & { env: Record<string, string>; exposed: number[] } = {
    workdir: '/',
    env: {},
    user: 'root',
    exposed: [],
  };
  for (const step of stage.instructions) {
    if (step.kind === 'WORKDIR')
      config.workdir = step.path.startsWith('/') ? step.path : `${config.workdir}/${step.path}`;
    if (step.kind === 'ENV') Object.assign(config.env, step.vars);
    if (step.kind === 'USER') config.user = step.user;
    if (step.kind === 'EXPOSE') config.exposed.push(...step.ports);
    if (step.kind === 'CMD') config.cmd = step.command;
    if (step.kind === 'HEALTHCHECK') config.healthcheck = { options: step.options, command: step.command };
  }
  if (!config.cmd) throw new Error('the final stage has no CMD');
  return config as ImageConfig;
}

/** A `.dockerignore` as a predicate on context-relative paths (Go filepath.Match plus `**`, `!` exceptions). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    // A path is excluded when the last rule matching it, or one of its parent directories, excludes it.
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((prefix) => rule.regex.test(prefix))) excluded = !rule.negate;
    }
    return excluded;
  };
}
