// One licenses.txt per bundle folder, covering every entry point built into it. ncc writes one licence file
// per entry, in blocks of "name\nlicence\ntext" separated by two blank lines; building a second entry into the
// same folder used to overwrite the first's. These blocks are merged by package name, sorted, once each.

/** Splits ncc's licenses.txt into { name → block }; a block starts at a line naming a bundled package. */
export function licenseBlocks(text, isPackage) {
  const blocks = new Map();
  let name;
  let lines = [];
  const flush = () => { if (name) blocks.set(name, lines.join('\n').replace(/\n+$/, '')); };
  const rows = text.split('\n');
  rows.forEach((line, index) => {
    const startsBlock = (index === 0 || (rows[index - 1] === '' && rows[index - 2] === '')) && line !== '' && isPackage(line);
    if (startsBlock) { flush(); name = line; lines = [line]; } else if (name) lines.push(line);
  });
  flush();
  return blocks;
}

/** The blocks of every text, each package once (the first text's block wins), sorted by name. */
export function mergeLicenses(texts, isPackage) {
  const merged = new Map();
  for (const text of texts) for (const [name, block] of licenseBlocks(text, isPackage)) if (!merged.has(name)) merged.set(name, block);
  return [...merged.keys()].sort().map((name) => merged.get(name)).join('\n\n\n') + '\n';
}
