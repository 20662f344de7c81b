/**
 * Property: whatever a user puts in name, image, env, volumes, ports or docker-args, the host's shell
 * runs exactly the argv the catalogue built, or the input is refused. A canary file proves that no
 * generated text was ever executed, and a recording `docker` shim proves the argv arrives intact.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as docker from '#docker/index';
import { InputError, InputReader } from '#inputs/index';
import { shellJoin } from '#ssh/quote';
import { containerSpec } from './deploy.ts';
import { readDeployInputs } from './inputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'gp-injection-'));
const canary = join(dir, 'canary');
// A `docker` that records its argv NUL-separated, to the file $RECORD names, instead of running anything.
writeFileSync(join(dir, 'docker'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > "$RECORD"\n`);
chmodSync(join(dir, 'docker'), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const payloads = [
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `; touch ${canary}`,
  `| touch ${canary}`,
  `&& touch ${canary} #`,
  `' ; touch ${canary} ; '`,
  `" ; touch ${canary} ; "`,
  `\n touch ${canary}`,
  `$IFS`,
  '*',
  '~root',
  '${PATH}',
];
const hostile = fc.oneof(
  fc.constantFrom(...payloads),
  fc.string({ maxLength: 30 }),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...payloads)).map(([a, b]) => a + b),
);

const base: Record<string, string> = {
  host: '127.0.0.1',
  username: 'deploy',
  password: 'pw',
  'insecure-ignore-host-key': 'true',
  image: 'registry.example:5000/app:v1',
  name: 'app',
};

// Values shaped so that hostile text also reaches the argv (labels and env need a key to be valid at all).
const SHAPE: Record<string, (hostile: string) => string> = {
  labels: (hostile) => `tier=${hostile}`,
  env: (hostile) => `KEY=${hostile}`,
};

/**
 * Runs each joined command the way sshd's shell would, with `docker` resolved to the recorder, all in one shell
 * (one spawn per property, whatever the machine's load); each command's argv is recorded to a file of its own.
 */
function runOnHostShell(argvs: readonly string[][]): string[][] {
  const script = argvs.map((argv, i) => `RECORD='${dir}/argv.${i}'; export RECORD\n${shellJoin(argv)}`).join('\n');
  execFileSync('sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, stdio: 'ignore', timeout: 20_000 });
  return argvs.map((_, i) => {
    const file = join(dir, `argv.${i}`);
    const words = existsSync(file) ? readFileSync(file, 'utf8').split('\0').slice(0, -1) : ['(not run)'];
    rmSync(file, { force: true });
    return words;
  });
}

describe('deploy-container inputs cannot inject commands on the host', () => {
  it.each(['name', 'image', 'ports', 'volumes', 'docker-args', 'labels', 'env', 'command', 'network', 'restart'])(
    'hostile %s: refused, or delivered as the exact argv',
    (input) => {
      const argvs: string[][] = [];
      for (const value of fc.sample(hostile.map(SHAPE[input] ?? ((v: string) => v)), 60)) {
        try {
          const inputs = readDeployInputs(new InputReader((name) => ({ ...base, [input]: value })[name] ?? ''));
          argvs.push(docker.run(containerSpec(inputs, '/home/deploy/.golden-deploy/env/app.env')));
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
        }
      }
      const delivered = runOnHostShell(argvs);
      argvs.forEach((argv, i) => expect(delivered[i], JSON.stringify(argv)).toEqual(argv.slice(1)));
      expect(existsSync(canary)).toBe(false);
      // Some hostile values must get through validation, or this only tested the refusals.
      if (['labels', 'env', 'command'].includes(input)) expect(argvs.length).toBeGreaterThan(0);
    },
  );

  it('never puts env values in argv: they go only to the env file', () => {
    // A sentinel prefix makes each secret distinctive, as real secrets are (a one-letter value would match --name).
    const secret = fc
      .string({ maxLength: 30 })
      .filter((v) => !/[\r\n\0]/.test(v))
      .map((v) => `s3cr3t-${v}`);
    fc.assert(
      fc.property(secret, (value) => {
        const inputs = readDeployInputs(new InputReader((name) => ({ ...base, env: `SECRET=${value}` })[name] ?? ''));
        expect(docker.run(containerSpec(inputs, '/e')).filter((arg) => arg.includes(value))).toEqual([]);
        expect(docker.renderEnvFile(inputs.env)).toBe(`SECRET=${value}\n`);
      }),
      { numRuns: 200 },
    );
  });
});
