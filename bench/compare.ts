/**
 * Full runs side by side: `npm run bench:compare -- bench/results/history/A.json B.json ...`
 * prints a Markdown table with one column per run (in the order given) and one line per target:
 * the figure the target is judged on and whether it holds. The settlement tail also shows its two
 * p99s. BENCHMARKS.md's side-by-side tables come from here.
 */
import { readFile } from 'node:fs/promises';
import { formatTarget, verdict } from './lib/table.js';
import { ratioOf, type Row } from './lib/types.js';

interface RunFile {
  when: string;
  totalS: number;
  machine: { cpuModel: string; loadAverageBefore: number[]; gitCommit?: string; gitDirty?: boolean };
  results: { id: string; rows: Row[] }[];
}

const cellOf = (r: Row | undefined): string => {
  if (r === undefined) return '';
  const holds = r.pass === undefined ? '' : ` ${verdict(r)}`;
  if (r.target?.on === 'ratio') {
    const ratio = ratioOf(r);
    const pair = r.unit === 'ms' ? ` (${r.value} / ${r.baseline ?? '?'} ms)` : '';
    return `${ratio === undefined ? '?' : ratio.toFixed(2)}x${pair}${holds}`;
  }
  return `${r.value}${r.unit === '' ? '' : ` ${r.unit}`}${holds}`;
};

/** The run's start, UTC, as "11-27 10:32", from its end time and duration. */
const startOf = (run: RunFile): string =>
  new Date(Date.parse(run.when) - run.totalS * 1000).toISOString().slice(5, 16).replace('T', ' ');

/** "Intel(R) Xeon(R) Processor" as "Intel Xeon": short enough for a column head. */
const shortCpu = (model: string): string =>
  model
    .replace(/\((R|TM)\)/g, '')
    .replace(/ (CPU|Processor)\b.*$/, '')
    .trim();

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run bench:compare -- RUN.json [RUN.json ...]');
  process.exit(2);
}
const runs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as RunFile));

const keys: { scenario: string; metric: string; label: string }[] = [];
for (const run of runs) {
  for (const res of run.results) {
    for (const r of res.rows) {
      if (r.target === undefined || keys.some((k) => k.scenario === res.id && k.metric === r.metric))
        continue;
      const t = formatTarget(r)
        .replace(/^ratio /, '')
        .replace(/ (ms|s|MB|%)$/, '');
      keys.push({ scenario: res.id, metric: r.metric, label: `${r.metric} ${t}` });
    }
  }
}

const lines: string[][] = [
  ['scenario', 'target', ...runs.map((run) => startOf(run))],
  [
    '',
    'machine, load average before',
    ...runs.map((run) => `${shortCpu(run.machine.cpuModel)}, ${run.machine.loadAverageBefore.join(' ')}`),
  ],
  [
    '',
    'commit',
    ...runs.map(
      (run) => `\`${run.machine.gitCommit ?? '?'}\`${run.machine.gitDirty === true ? ' (dirty)' : ''}`,
    ),
  ],
  ...keys.map((k) => [
    k.scenario,
    k.label,
    ...runs.map((run) =>
      cellOf(run.results.find((x) => x.id === k.scenario)?.rows.find((r) => r.metric === k.metric)),
    ),
  ]),
];
const [head, ...body] = lines;
console.log(`| ${(head ?? []).join(' | ')} |`);
console.log(`| ${(head ?? []).map(() => '---').join(' | ')} |`);
for (const l of body) console.log(`| ${l.join(' | ')} |`);
