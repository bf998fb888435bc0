/**
 * `npx tsx bench/render.ts [results.json]`: draws docs/bench.svg and writes bench/results/latest.md again from
 * a results file (default bench/results/latest.json), e.g. after changing the chart.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './lib/machine.js';
import { markdown } from './lib/report.js';
import { renderChart } from './lib/svg.js';
import { cells } from './lib/table.js';
import type { ScenarioResult } from './lib/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = process.argv[2] ?? join(root, 'bench', 'results', 'latest.json');
const run = JSON.parse(await readFile(file, 'utf8')) as {
  when: string;
  quick: boolean;
  totalS: number;
  machine: Machine;
  results: ScenarioResult[];
};
await writeFile(
  join(root, 'docs', 'bench.svg'),
  renderChart(run.results, { when: run.when, quick: run.quick }),
);
await writeFile(
  join(root, 'bench', 'results', 'latest.md'),
  markdown(run.when, run.quick, run.totalS, run.machine, cells(run.results), run.results),
);
console.log(`drew docs/bench.svg and wrote bench/results/latest.md from ${file}`);
