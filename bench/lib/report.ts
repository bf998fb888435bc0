import type { Machine } from './machine.js';
import { markdownTable } from './table.js';
import type { ScenarioResult } from './types.js';

/** bench/results/latest.md: when, where, the table, the notes. */
export function markdown(
  when: string,
  quick: boolean,
  totalS: number,
  m: Machine,
  table: string[][],
  results: ScenarioResult[],
): string {
  const load = (l: number[] | undefined) => (l ?? []).map((x) => x.toFixed(2)).join(' ');
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`));
  return [
    `# Benchmark results${quick ? ' (quick mode: small sizes, not comparable with the targets)' : ''}`,
    '',
    `${when}, ${totalS.toFixed(0)} s, commit ${m.gitCommit}${m.gitDirty ? ' with uncommitted changes' : ''}.`,
    `${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.postgresServer}).`,
    `Load average before: ${load(m.loadAverageBefore)}; after: ${load(m.loadAverageAfter)}.`,
    '',
    markdownTable(table),
    '',
    ...(notes.length > 0 ? ['Notes:', '', ...notes, ''] : []),
  ].join('\n');
}
