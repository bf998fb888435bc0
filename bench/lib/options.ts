/** Sizes and durations of one bench run: the full sizes, or small ones for a smoke run (--quick). */
export interface Sizes {
  placeBets: { events: number; connections: number; durationS: number; warmupS: number };
  readEvents: {
    events: number;
    connections: number;
    durationS: number;
    warmupS: number;
    changesPerS: number;
  };
  settle: { bets: number; loadRate: number; loadConnections: number; idleS: number };
  propagation: { events: number; betsPerEvent: number };
  snapshot: { events: number };
  fanout: { watchers: number; events: number; ratePerS: number; durationS: number; warmupS: number };
  listBets: { bets: number; events: number; connections: number; rate: number; durationS: number };
}

const full: Sizes = {
  placeBets: { events: 10_000, connections: 64, durationS: 30, warmupS: 3 },
  readEvents: { events: 10_000, connections: 16, durationS: 20, warmupS: 3, changesPerS: 100 },
  settle: { bets: 1_000_000, loadRate: 200, loadConnections: 4, idleS: 10 },
  propagation: { events: 200, betsPerEvent: 10 },
  snapshot: { events: 100_000 },
  fanout: { watchers: 100, events: 1_000, ratePerS: 1_000, durationS: 30, warmupS: 15 },
  listBets: { bets: 5_000_000, events: 10_000, connections: 8, rate: 200, durationS: 10 },
};

const quick: Sizes = {
  placeBets: { events: 1_000, connections: 64, durationS: 5, warmupS: 1 },
  readEvents: { events: 10_000, connections: 16, durationS: 4, warmupS: 1, changesPerS: 100 },
  settle: { bets: 50_000, loadRate: 200, loadConnections: 4, idleS: 3 },
  propagation: { events: 40, betsPerEvent: 10 },
  snapshot: { events: 10_000 },
  fanout: { watchers: 100, events: 200, ratePerS: 1_000, durationS: 5, warmupS: 1 },
  listBets: { bets: 200_000, events: 1_000, connections: 8, rate: 200, durationS: 3 },
};

export const SCENARIOS = [
  'place-bets',
  'read-events',
  'settle',
  'propagation',
  'snapshot',
  'fanout',
  'list-bets',
] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface Options {
  quick: boolean;
  sizes: Sizes;
  only: ScenarioId[];
  /** Write bench/results/latest.* and docs/bench.svg (off when only some scenarios ran, unless --write). */
  write: boolean;
  /** Run the services' sources through tsx instead of compiling them first (--tsx; for development). */
  tsx: boolean;
}

/**
 * `--quick`, `--only=a,b` (scenario ids), `--write` (write the result files even for a partial run),
 * `--set=settle.bets=300000` (override one size; repeatable), `--tsx` (run the services through tsx).
 */
export function parseOptions(argv: readonly string[]): Options {
  const quickRun = argv.includes('--quick');
  const sizes: Sizes = structuredClone(quickRun ? quick : full);
  for (const arg of argv.filter((a) => a.startsWith('--set='))) {
    const m = /^--set=([a-zA-Z]+)\.([a-zA-Z]+)=(\d+(?:\.\d+)?)$/.exec(arg);
    const group = m ? (sizes as unknown as Record<string, Record<string, number>>)[m[1] ?? ''] : undefined;
    if (m === null || group === undefined || !((m[2] ?? '') in group)) throw new Error(`bad ${arg}`);
    group[m[2] ?? ''] = Number(m[3]);
  }
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg === undefined ? [...SCENARIOS] : onlyArg.split(',').map(asScenario);
  const unknown = argv.filter((a) => !/^--(quick|write|tsx|only=.*|set=.*)$/.test(a));
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')}`);
  return {
    quick: quickRun,
    sizes,
    only,
    write: onlyArg === undefined || argv.includes('--write'),
    tsx: argv.includes('--tsx'),
  };
}

function asScenario(name: string): ScenarioId {
  const found = SCENARIOS.find((s) => s === name);
  if (found === undefined) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);
  return found;
}
