/** Formats the benchmark's result as markdown; pure, unit-tested in result-table.spec.ts. */

export type Cell = string | number | undefined;

/** A markdown table; numbers are rounded for reading, undefined shows as "—". */
export function markdownTable(header: readonly string[], rows: readonly Cell[][]): string {
  const line = (cells: readonly Cell[]) => `| ${cells.map(formatCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function formatCell(cell: Cell): string {
  if (cell === undefined) return '—';
  if (typeof cell === 'string') return cell.replaceAll('|', '\\|');
  return formatNumber(cell);
}

/** Thousands separated, fewer decimals the larger the number: 1,234 · 56.7 · 3.46 · 0.012 · <0.001 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  // A statement run once in a whole benchmark: not nothing, and not to be rounded to 0.
  if (magnitude > 0 && magnitude < 0.001) return value > 0 ? '<0.001' : '>-0.001';
  const decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: decimals });
}

/** "a / b / c" of formatted numbers, "—" for missing ones. */
export function joinNumbers(values: readonly (number | undefined)[], separator = ' / '): string {
  return values.map(formatCell).join(separator);
}

/** "0.27×" — a ratio for the table. */
export function formatRatio(numerator: number | undefined, denominator: number | undefined): string | undefined {
  if (numerator === undefined || denominator === undefined || denominator === 0) return undefined;
  return `${(numerator / denominator).toFixed(2)}×`;
}
