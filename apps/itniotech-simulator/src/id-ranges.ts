/**
 * A set of ids written as ranges, the way operators type them: "1-1000,5000,7000-7999".
 * "*" means every id.
 */
export class IdRanges {
  private constructor(
    private readonly ranges: ReadonlyArray<readonly [number, number]>,
    private readonly everything: boolean,
  ) {}

  /** Throws an error that says what is wrong with the text. */
  static parse(text: string): IdRanges {
    const trimmed = text.trim();
    if (trimmed === '*') return new IdRanges([], true);
    if (trimmed === '') return new IdRanges([], false);
    return new IdRanges(trimmed.split(',').map(parseRange), false);
  }

  contains(id: number): boolean {
    return this.everything || this.ranges.some(([from, to]) => id >= from && id <= to);
  }
}

function parseRange(item: string): readonly [number, number] {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
  if (!match) throw new Error(`"${item.trim()}" is not an id or a range like 1-1000`);
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (to < from) throw new Error(`range "${item.trim()}" ends before it starts`);
  return [from, to];
}
