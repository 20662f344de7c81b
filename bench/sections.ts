/** Results files that several benchmarks write: each owns one `## ` section and leaves the rest as it is. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median } from '#stats/index';

/** The median and the range of a measure over rounds, as the results tables show it. */
export interface Stat {
  median: number;
  min: number;
  max: number;
}
export const stat = (values: number[]): Stat => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
/** `median (min–max)`, with a unit. */
export const statCell = (value: Stat, unit = '') => `${value.median}${unit} (${value.min}–${value.max})`;

/** Writes `body` under `## heading` in `file`, replacing that section if present, appending it if not. */
export function replaceSection(file: string, heading: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const title = `## ${heading}`;
  const start = text.indexOf(`\n${title}\n`);
  const before = start >= 0 ? text.slice(0, start) : text.trimEnd();
  const rest = start >= 0 ? text.slice(start + title.length + 2) : '';
  const next = rest.search(/^## /m);
  const after = next >= 0 ? `\n${rest.slice(next)}` : '';
  writeFileSync(file, `${before}\n\n${title}\n\n${body.trim()}\n${after}`);
}

/** The `## ` sections of `file` other than the one before the first heading: kept when that part is rewritten. */
export function sectionsOf(file: string): string {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const first = text.search(/^## /m);
  return first >= 0 ? text.slice(first) : '';
}
