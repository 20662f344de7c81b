/**
 * Every default an action.yml declares is the one its code falls back to: reading the inputs with each
 * declared default given explicitly yields the same settings as leaving them empty (the runner passes the
 * default; local-action, the harness and the code's own fallbacks must agree with it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InputReader } from '#inputs/index';
import { readAuditInputs } from './audit-secrets/src/main.ts';
import { TEST_HOST_KEY_PIN, TEST_PRIVATE_KEY } from '#ssh/testing';
import { readMigrateInputs } from './bastion-migrate/src/inputs.ts';
import { VALID_MIGRATE_INPUTS } from './bastion-migrate/src/testing.ts';
import { readDeployInputs } from './deploy-container/src/inputs.ts';
import { readHealthCheckInputs } from './health-check/src/inputs.ts';
import { readHeredocLintInputs } from './heredoc-lint/src/main.ts';

const KEY = TEST_PRIVATE_KEY;
const PIN = TEST_HOST_KEY_PIN;

/** Each action's reader, with the least it needs beyond the defaults. */
const ACTIONS: Record<string, { needs: Record<string, string>; read: (reader: InputReader) => unknown }> = {
  'health-check': { needs: { urls: 'https://app.example/healthz' }, read: readHealthCheckInputs },
  'deploy-container': {
    needs: { host: 'app.example', username: 'deploy', 'private-key': KEY, 'host-key': PIN, image: 'registry.example/app:v1', name: 'app' },
    read: (reader) => readDeployInputs(reader),
  },
  'bastion-migrate': {
    needs: VALID_MIGRATE_INPUTS,
    read: readMigrateInputs,
  },
  'audit-secrets': { needs: {}, read: (reader) => readAuditInputs(reader) },
  'heredoc-lint': { needs: {}, read: readHeredocLintInputs },
};

describe.each(Object.keys(ACTIONS))('%s', (action) => {
  const manifest = parse(readFileSync(join('actions', action, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: unknown }> };
  const declared = Object.fromEntries(
    Object.entries(manifest.inputs)
      .filter(([, spec]) => spec.default !== undefined && spec.default !== '')
      .map(([name, spec]) => [name, String(spec.default)]),
  );

  it('declares defaults, and the code falls back to exactly them', () => {
    const { needs, read } = ACTIONS[action]!;
    const leftEmpty = read(new InputReader((name) => needs[name] ?? ''));
    const givenExplicitly = read(new InputReader((name) => needs[name] ?? declared[name] ?? ''));
    expect(givenExplicitly).toEqual(leftEmpty);
  });

  it('would notice a default that differs (the check can fail)', () => {
    const { needs, read } = ACTIONS[action]!;
    const [name] = Object.keys(declared).filter((n) => !(n in needs));
    if (!name) return;
    const changed = alternativeTo(declared[name]!);
    let differs: boolean;
    try {
      differs =
        JSON.stringify(read(new InputReader((n) => needs[n] ?? (n === name ? changed : declared[n]) ?? ''))) !==
        JSON.stringify(read(new InputReader((n) => needs[n] ?? '')));
    } catch {
      differs = true; // a value the reader refuses differs too
    }
    expect(differs, `${name}: ${declared[name]} → ${changed}`).toBe(true);
  });
});

/** A different value of the same kind: another number, the other boolean, another word. */
function alternativeTo(value: string): string {
  if (/^(true|false)$/.test(value)) return value === 'true' ? 'false' : 'true';
  const number = /^(\d+)(.*)$/.exec(value);
  if (number) return `${Number(number[1]) + 1}${number[2]}`;
  return `${value}-other`;
}
