import { formatTarget } from './table.js';
import { ratioOf, type Row, type ScenarioResult } from './types.js';

/** Hand-written SVG: throughput against baselines, latency percentiles against limits, every target. */
const W = 960;
const LABEL = 250;
const PLOT = W - LABEL - 170;
const BLUE = ['#93c5fd', '#3b82f6', '#1d4ed8'];
const GREY = ['#e5e7eb', '#9ca3af', '#4b5563'];
const GREEN = '#16a34a';
const RED = '#dc2626';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (x: number) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : String(x));

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}
function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${h}" fill="${fill}"/>`;
}
function vline(x: number, y1: number, y2: number, color: string, dash = true): string {
  return `<line x1="${x.toFixed(1)}" y1="${y1}" x2="${x.toFixed(1)}" y2="${y2}" stroke="${color}" stroke-width="1.5"${dash ? ' stroke-dasharray="4 3"' : ''}/>`;
}

/** How far a target row is from its limit: under 1 holds, over 1 does not. */
export function slack(r: Row): number | undefined {
  if (r.target === undefined) return undefined;
  const x = r.target.on === 'ratio' ? ratioOf(r) : r.value;
  if (x === undefined) return undefined;
  const { op, limit } = r.target;
  if (op === '<=') return limit === 0 ? (x <= 0 ? 0 : 2) : x / limit;
  return x === 0 ? 2 : limit / x;
}

export function renderChart(
  results: readonly ScenarioResult[],
  meta: { when: string; quick: boolean },
): string {
  const out: string[] = [];
  let y = 30;
  out.push(
    text(20, y, 'bet-maker and line-provider: benchmark results', 'font-size="20" font-weight="bold"'),
  );
  y += 22;
  out.push(
    text(
      20,
      y,
      `${meta.when.slice(0, 16).replace('T', ' ')} UTC${meta.quick ? ' - QUICK MODE (small sizes)' : ''}; baselines measured in the same run`,
      'font-size="12" fill="#4b5563"',
    ),
  );
  y += 30;

  const pairs = results.flatMap((r) => r.throughput.map((t) => ({ id: r.id, t })));
  if (pairs.length > 0) {
    out.push(
      text(20, y, 'Throughput and duration against the baselines', 'font-size="15" font-weight="bold"'),
    );
    y += 16;
    // Bars take at most 60% of the plot, so that the value written after them stays inside the picture.
    const span = PLOT * 0.6;
    for (const { id, t } of pairs) {
      const max = Math.max(t.product, t.baseline, 1e-9);
      const ratio = t.baseline === 0 ? 0 : t.product / t.baseline;
      out.push(text(20, y + 16, t.label, 'font-size="13" font-weight="bold"'));
      out.push(
        text(
          20,
          y + 32,
          `${id}, ${t.lowerIsBetter ? 'seconds, lower is better' : t.unit}`,
          'font-size="11" fill="#6b7280"',
        ),
      );
      out.push(rect(LABEL, y + 4, (t.baseline / max) * span, 16, GREY[1] ?? ''));
      out.push(
        text(
          LABEL + (t.baseline / max) * span + 6,
          y + 16,
          `${num(t.baseline)} ${t.unit} ${t.baselineLabel}`,
          'font-size="11"',
        ),
      );
      out.push(rect(LABEL, y + 24, (t.product / max) * span, 16, BLUE[1] ?? ''));
      out.push(
        text(
          LABEL + (t.product / max) * span + 6,
          y + 36,
          `${num(t.product)} ${t.unit} bet-maker (${ratio.toFixed(2)}x)`,
          'font-size="11" font-weight="bold"',
        ),
      );
      y += 50;
    }
    y += 14;
  }

  const series = results.flatMap((r) => r.latency.map((l) => ({ id: r.id, l })));
  if (series.length > 0) {
    out.push(
      text(
        20,
        y,
        'Latency percentiles, ms (p50 / p90 / p99; dashed: the p99 limit)',
        'font-size="15" font-weight="bold"',
      ),
    );
    y += 16;
    for (const { id, l } of series) {
      const max = Math.max(l.p99, l.limit ?? 0, 1e-9) * 1.1;
      const colors = l.baseline ? GREY : BLUE;
      out.push(text(20, y + 13, id, 'font-size="11" fill="#6b7280"'));
      out.push(text(20, y + 27, l.label, `font-size="12"${l.baseline ? '' : ' font-weight="bold"'}`));
      const vals: [string, number][] = [
        ['p50', l.p50],
        ['p90', l.p90],
        ['p99', l.p99],
      ];
      vals.forEach(([name, v], i) => {
        out.push(rect(LABEL, y + 3 + i * 11, (v / max) * PLOT, 9, colors[i] ?? ''));
        out.push(text(LABEL + (v / max) * PLOT + 4, y + 11 + i * 11, `${name} ${num(v)}`, 'font-size="9"'));
      });
      if (l.limit !== undefined) {
        const x = LABEL + (l.limit / max) * PLOT;
        out.push(vline(x, y, y + 36, l.p99 <= l.limit ? GREEN : RED));
        out.push(
          text(
            x + 3,
            y + 2,
            `limit ${num(l.limit)}`,
            `font-size="9" fill="${l.p99 <= l.limit ? GREEN : RED}"`,
          ),
        );
      }
      y += 44;
    }
    y += 14;
  }

  const targets = results.flatMap((r) =>
    r.rows.filter((row) => row.target !== undefined).map((row) => ({ id: r.id, row, s: slack(row) })),
  );
  if (targets.length > 0) {
    out.push(
      text(
        20,
        y,
        'Targets: measured relative to the limit (left of the line holds)',
        'font-size="15" font-weight="bold"',
      ),
    );
    y += 12;
    const scale = PLOT / 2;
    for (const { id, row, s } of targets) {
      // A negative figure (RSS that shrank) draws no bar rather than one into the labels.
      const v = Math.max(0, Math.min(2, s ?? 2));
      const ok = row.pass === true;
      const label = `${id}: ${row.metric}`;
      out.push(text(20, y + 13, label.length > 40 ? `${label.slice(0, 39)}…` : label, 'font-size="11"'));
      out.push(rect(LABEL, y + 3, v * scale, 13, ok ? GREEN : RED));
      const ratio = ratioOf(row);
      const shown =
        row.target?.on === 'ratio' && ratio !== undefined
          ? `${ratio.toFixed(2)}x`
          : `${num(row.value)} ${row.unit}`;
      out.push(text(LABEL + v * scale + 5, y + 13, `${shown} (${formatTarget(row)})`, 'font-size="10"'));
      y += 19;
    }
    out.push(vline(LABEL + scale, y - targets.length * 19, y, '#111827', false));
    y += 20;
  }

  for (const r of results) {
    for (const sr of r.series ?? []) {
      if (sr.points.length < 2) continue;
      out.push(
        text(20, y, `${r.id}: ${sr.label} over time (${sr.unit})`, 'font-size="15" font-weight="bold"'),
      );
      y += 10;
      const h = 90;
      const xs = sr.points.map(([t]) => t);
      const vs = sr.points.map(([, v]) => v);
      const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
      const vmax = Math.max(...vs) * 1.1;
      const px = (t: number) => LABEL + ((t - x0) / Math.max(1e-9, x1 - x0)) * PLOT;
      const py = (v: number) => y + h - (v / vmax) * h;
      const d = sr.points
        .map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${px(t).toFixed(1)},${py(v).toFixed(1)}`)
        .join(' ');
      out.push(`<line x1="${LABEL}" y1="${y + h}" x2="${LABEL + PLOT}" y2="${y + h}" stroke="#9ca3af"/>`);
      out.push(`<path d="${d}" fill="none" stroke="${BLUE[2] ?? ''}" stroke-width="2"/>`);
      out.push(
        text(
          LABEL - 6,
          py(vmax / 1.1) + 4,
          `${num(Math.round(vmax / 1.1))}`,
          'font-size="10" text-anchor="end"',
        ),
      );
      out.push(text(LABEL - 6, y + h, '0', 'font-size="10" text-anchor="end"'));
      out.push(text(LABEL, y + h + 14, `${num(x0)} s`, 'font-size="10"'));
      out.push(text(LABEL + PLOT, y + h + 14, `${num(x1)} s`, 'font-size="10" text-anchor="end"'));
      y += h + 34;
    }
  }

  const height = Math.ceil(y + 10);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
