import type { Entrypoints } from './build.js';
import type { Options, ScenarioId } from './options.js';

/** What every scenario gets. */
export interface RunContext {
  options: Options;
  /** Directory for service logs and scratch files of this run (git-ignored). */
  tmpDir: string;
  /** How to start each service (compiled by default). */
  entry: Entrypoints;
}

/** A target: the value (or the ratio to the baseline, when `on` is 'ratio') compared with a limit. */
export interface Target {
  on: 'value' | 'ratio';
  op: '<=' | '>=';
  limit: number;
}

/** One line of the results table. */
export interface Row {
  metric: string;
  value: number;
  unit: string;
  /** The same quantity measured on the baseline in the same run. */
  baseline?: number;
  baselineLabel?: string;
  target?: Target;
  /** Set by the runner from the target. */
  pass?: boolean;
}

/** Percentiles of one latency series, in ms, for the chart. */
export interface LatencySeries {
  label: string;
  p50: number;
  p90: number;
  p99: number;
  /** The p99 limit, drawn as a line. */
  limit?: number;
  baseline?: boolean;
}

/** A throughput (or duration) bar pair for the chart. */
export interface ThroughputPair {
  label: string;
  unit: string;
  product: number;
  baseline: number;
  baselineLabel: string;
  /** True when smaller is better (durations). */
  lowerIsBetter?: boolean;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  rows: Row[];
  latency: LatencySeries[];
  throughput: ThroughputPair[];
  /** Time series, e.g. RSS samples: [seconds, value]. */
  series?: { label: string; unit: string; points: [number, number][] }[];
  notes: string[];
  /** Everything else worth keeping in latest.json. */
  details: Record<string, unknown>;
}

export type Scenario = (ctx: RunContext) => Promise<ScenarioResult>;

/** Decides a row's pass/fail from its target. */
export function judge(row: Row): Row {
  if (row.target === undefined) return row;
  const x = row.target.on === 'ratio' ? ratioOf(row) : row.value;
  if (x === undefined) return { ...row, pass: false };
  const pass = row.target.op === '<=' ? x <= row.target.limit : x >= row.target.limit;
  return { ...row, pass };
}

export function ratioOf(row: Row): number | undefined {
  if (row.baseline === undefined || row.baseline === 0) return undefined;
  return row.value / row.baseline;
}
