// Markdown for job summaries and reports, in one place.

/** Text as one table cell: a | would end the cell and a newline the row. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
