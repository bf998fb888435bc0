import { round } from '../lib/stats.js';

/** p50/p90/p99 of a summary, rounded, for the chart. */
export const pick3 = (l: { p50: number; p90: number; p99: number }) => ({
  p50: round(l.p50),
  p90: round(l.p90),
  p99: round(l.p99),
});
