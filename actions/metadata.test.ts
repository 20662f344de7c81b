/**
 * Every action's public surface: action.yml is valid, runs on node24 from a committed CommonJS bundle,
 * documents each input and output, and the README lists them all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

interface Manifest {
  name?: string;
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string };
}

const actions = readdirSync('actions').filter((name) => existsSync(join('actions', name, 'action.yml')));
const readme = readFileSync('README.md', 'utf8');

describe.each(actions)('actions/%s', (action) => {
  const manifest = parse(readFileSync(join('actions', action, 'action.yml'), 'utf8'), { prettyErrors: true }) as Manifest;

  it('runs on node24 from committed CommonJS bundles', () => {
    expect(manifest.runs.using).toBe('node24');
    expect(manifest.runs.main).toBe('dist/index.cjs');
    expect(existsSync(join('actions', action, manifest.runs.main))).toBe(true);
    if (manifest.runs.post) {
      expect(manifest.runs.post).toBe('dist/post.cjs');
      expect(existsSync(join('actions', action, manifest.runs.post))).toBe(true);
    }
  });

  it('describes itself, every input and every output', () => {
    expect(manifest.name).toBeTruthy();
    expect(manifest.description).toBeTruthy();
    for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
      expect(spec.description, `input ${name}`).toBeTruthy();
      expect(name, 'input names are kebab-case').toMatch(/^[a-z][a-z0-9-]*$/);
      // The runner passes defaults as strings; a YAML number or boolean here is a typo waiting to happen.
      if (spec.default !== undefined) expect(typeof spec.default, `default of ${name}`).toBe('string');
    }
    for (const [name, spec] of Object.entries(manifest.outputs ?? {})) expect(spec.description, `output ${name}`).toBeTruthy();
  });

  it('is documented in the README, input by input and output by output', () => {
    const section = readme.split(/^### /m).find((s) => s.startsWith(`\`${action}\``));
    expect(section, `README section "### \`${action}\`"`).toBeDefined();
    for (const name of [...Object.keys(manifest.inputs ?? {}), ...Object.keys(manifest.outputs ?? {})]) {
      expect(section, `README mentions ${name}`).toContain(`\`${name}\``);
    }
  });
});
