// Where each member of a JSON text starts, by JSON Pointer: for line:column in messages about valid JSON.

/** One JSON Pointer segment (RFC 6901): ~ becomes ~0, / becomes ~1. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Offsets by JSON Pointer: of each object member's key (where an editor points at "that property") and of each
 * array element. The text must be valid JSON (JSON.parse it first); '' maps to the top-level value.
 */
export function jsonPointerOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (pointer: string): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      while (text[i] !== '}') {
        space();
        const keyAt = i;
        const key = string();
        const member = `${pointer}/${escapePointer(key)}`;
        offsets.set(member, keyAt);
        space();
        i++; // :
        value(member);
        space();
        if (text[i] === ',') i++;
        space();
      }
      i++;
    } else if (c === '[') {
      i++;
      space();
      for (let index = 0; text[i] !== ']'; index++) {
        space();
        offsets.set(`${pointer}/${index}`, i);
        value(`${pointer}/${index}`);
        space();
        if (text[i] === ',') i++;
        space();
      }
      i++;
    } else if (c === '"') {
      string();
    } else {
      while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
    }
  };
  space();
  offsets.set('', i);
  value('');
  return offsets;
}
