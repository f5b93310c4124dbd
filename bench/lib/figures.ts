// Small statistics and a plain-text table: every benchmark prints its figures
// beside the target they are measured against.

/** The value at quantile q (0..1) by nearest rank: p50 of [1, 2, 3, 4] is 2, p99 is 4. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const seconds = (ms: number, digits = 2): string => `${(ms / 1000).toFixed(digits)} s`;
export const perSecond = (n: number): string => `${Math.round(n).toLocaleString('en-US')}/s`;

/** Columns padded to their widest cell; the first row is the header. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** A figure against its target; a miss is reported, not an error (the run still measured something). */
export const verdict = (met: boolean): 'PASS' | 'MISS' => (met ? 'PASS' : 'MISS');
