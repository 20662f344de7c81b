import { describe, expect, it } from 'vitest';
import { escapePointer, jsonPointerOffsets } from './json-positions.ts';

describe('jsonPointerOffsets', () => {
  it('finds every member key and array element, escaped keys and nesting included', () => {
    const text = '{\n  "a": [1, {"b/c": "x"}, []],\n  "d~e": {"f": null, "g": "}\\"]"},\n  "h": true\n}';
    const offsets = jsonPointerOffsets(text);
    const at = (pointer: string) => text.slice(offsets.get(pointer)!, offsets.get(pointer)! + 6);
    expect(offsets.get('')).toBe(0);
    expect(at('/a')).toBe('"a": [');
    expect(at('/a/0')).toBe('1, {"b');
    expect(at('/a/1')).toBe('{"b/c"');
    expect(at('/a/1/b~1c')).toBe('"b/c":');
    expect(at('/a/2')).toBe('[]],\n ');
    expect(at('/d~0e/g')).toBe('"g": "');
    expect(at('/h')).toBe('"h": t');
    expect(offsets.size).toBe(10);
  });

  it('escapes pointer segments as RFC 6901 says', () => {
    expect(escapePointer('a/b~c')).toBe('a~1b~0c');
  });
});
