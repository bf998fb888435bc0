/**
 * `npm run bench [-- --quick] [-- --only=place-bets,settle]`: the benchmark suite of issue 5.
 *
 * Runs each scenario against line-provider and bet-maker started as child processes on a database of its
 * own (DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432, else an embedded one), prints the
 * results as a table, and writes bench/results/latest.{json,md} and docs/bench.svg. Service logs of the
 * run go to bench/results/tmp/<run>/ (git-ignored).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entrypoints } from './lib/build.js';
import { describeMachine } from './lib/machine.js';
import { parseOptions, type ScenarioId } from './lib/options.js';
import { renderChart } from './lib/svg.js';
import { markdown } from './lib/report.js';
import { cells, textTable } from './lib/table.js';
import { judge, type RunContext, type Scenario, type ScenarioResult } from './lib/types.js';
import { fanout } from './scenarios/fanout.js';
import { listBets } from './scenarios/list-bets.js';
import { placeBets } from './scenarios/place-bets.js';
import { propagation } from './scenarios/propagation.js';
import { readEvents } from './scenarios/read-events.js';
import { settle } from './scenarios/settle.js';
import { snapshot } from './scenarios/snapshot.js';

const SCENARIOS: Record<ScenarioId, Scenario> = {
  'place-bets': placeBets,
  'read-events': readEvents,
  settle,
  propagation,
  snapshot,
  fanout,
  'list-bets': listBets,
};

const root = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tmpDir = join(root, 'bench', 'results', 'tmp', stamp);
  await mkdir(tmpDir, { recursive: true });
  const machine = await describeMachine();
  console.log(
    `bench ${options.quick ? '--quick ' : ''}on ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres} (${machine.postgresServer}); load average ${machine.loadAverageBefore
        .map((x) => x.toFixed(2))
        .join(' ')}; logs in ${tmpDir}`,
  );
  const ctx: RunContext = { options, tmpDir, entry: await entrypoints(tmpDir, options.tsx) };
  const results: ScenarioResult[] = [];
  const failures: { id: string; error: string }[] = [];
  const started = performance.now();
  for (const id of options.only) {
    console.log(`\n== ${id}`);
    const t = performance.now();
    try {
      const res = await SCENARIOS[id](ctx);
      const judged = { ...res, rows: res.rows.map(judge) };
      results.push(judged);
      console.log(textTable(cells([judged])));
      for (const n of judged.notes) console.log(`  note: ${n}`);
    } catch (err) {
      console.error(`  ${id} failed:`, err);
      failures.push({ id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  const [l1, l5, l15] = loadavg();
  machine.loadAverageAfter = [l1 ?? 0, l5 ?? 0, l15 ?? 0];
  const totalS = (performance.now() - started) / 1000;
  const table = cells(results);
  console.log(`\n== results (${totalS.toFixed(0)} s)\n${textTable(table)}`);
  if (failures.length > 0) console.log(`\nfailed: ${failures.map((f) => f.id).join(', ')}`);

  if (options.write) {
    const when = new Date().toISOString();
    const outDir = join(root, 'bench', 'results');
    await writeFile(
      join(outDir, 'latest.json'),
      `${JSON.stringify({ when, quick: options.quick, totalS, machine, results, failures }, null, 2)}\n`,
    );
    await writeFile(
      join(outDir, 'latest.md'),
      markdown(when, options.quick, totalS, machine, table, results),
    );
    await writeFile(join(root, 'docs', 'bench.svg'), renderChart(results, { when, quick: options.quick }));
    console.log('wrote bench/results/latest.json, bench/results/latest.md, docs/bench.svg');
  }
  process.exitCode = failures.length > 0 ? 1 : 0;
}

await main();
