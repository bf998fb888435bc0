import { ratioOf, type Row, type ScenarioResult } from './types.js';

const fmt = (x: number | undefined): string => {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : String(x);
};

export const formatTarget = (r: Row): string => {
  if (r.target === undefined) return '';
  const what = r.target.on === 'ratio' ? 'ratio ' : '';
  const unit = r.target.on === 'ratio' ? 'x' : r.unit === '' ? '' : ` ${r.unit}`;
  return `${what}${r.target.op === '<=' ? '≤' : '≥'} ${fmt(r.target.limit)}${unit}`;
};

export const verdict = (r: Row): string => (r.pass === undefined ? '' : r.pass ? 'yes' : 'NO');

/** The result rows as cells: scenario, metric, value, baseline, ratio, target, holds. */
export function cells(results: readonly ScenarioResult[]): string[][] {
  const out: string[][] = [];
  for (const res of results) {
    for (const r of res.rows) {
      const ratio = ratioOf(r);
      out.push([
        res.id,
        r.metric,
        `${fmt(r.value)}${r.unit === '' ? '' : ` ${r.unit}`}`,
        r.baseline === undefined ? '' : `${fmt(r.baseline)}${r.unit === '' ? '' : ` ${r.unit}`}`,
        ratio === undefined ? '' : `${ratio.toFixed(2)}x`,
        formatTarget(r),
        verdict(r),
      ]);
    }
  }
  return out;
}

export const HEADER = ['scenario', 'metric', 'measured', 'baseline', 'ratio', 'target', 'holds'];

/** A plain-text table for the terminal. */
export function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A Markdown table. */
export function markdownTable(rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
