// Offsets to line:column, for files and scripts.

export interface FilePosition {
  line: number;
  column: number;
  offset: number;
}

/** Index of the last element of an ascending array that is ≤ value (0 if none). */
export function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (sorted[mid]! <= value) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Lines and their start offsets, for offset → line:column. */
export class LineIndex {
  readonly starts: number[] = [0];
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  position(offset: number): FilePosition {
    const line = lastAtOrBelow(this.starts, offset);
    return { line: line + 1, column: offset - this.starts[line]! + 1, offset };
  }
  /** The line's text without its line break (and without a CR before it). */
  lineText(index: number): string {
    const end = index + 1 < this.starts.length ? this.starts[index + 1]! - 1 : this.text.length;
    return this.text.slice(this.starts[index], end).replace(/\r$/, '');
  }
}
