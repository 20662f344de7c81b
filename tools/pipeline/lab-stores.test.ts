import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '#audit/load';
import { labStores, parseLabValues } from './lab-stores.ts';

const LAB = { LAB_PROXY_URL: 'http://127.0.0.1:8088', LAB_BUSYBOX_IMAGE: 'lab/busybox:1' };
const status = parseManifest('examples/status/env.manifest.json', readFileSync('examples/status/env.manifest.json', 'utf8'));
const INFRASTRUCTURE = { HOST: '127.0.0.1', SSH_USER: 'deploy', SSH_PRIVATE_KEY: 'key', SSH_HOST_KEY: 'pin', REGISTRY_PASSWORD: 'pw' };

describe('what the lab holds for an example', () => {
  it('reads lab.json with the lab’s values put in', () => {
    expect(parseLabValues('lab.json', '{"//":"x","vars":{"URL":"${LAB_PROXY_URL}/a"},"values":{"M":"m"}}', LAB)).toEqual({
      vars: { URL: 'http://127.0.0.1:8088/a' },
      values: { M: 'm' },
    });
    expect(() => parseLabValues('lab.json', '{"vars":{"URL":"${LAB_NOPE}"}}', LAB)).toThrow(
      'lab.json: vars.URL refers to LAB_NOPE, which scripts/lab env does not give',
    );
    expect(() => parseLabValues('lab.json', '{"values":{"N":1}}', LAB)).toThrow('lab.json: values.N must be a string');
    expect(() => parseLabValues('lab.json', '{', LAB)).toThrow(/^lab\.json: /);
  });

  it('fills the stores by GitHub name, secrets and variables apart, and generates a missing secret once', () => {
    const generated: Record<string, string> = {};
    const stores = labStores(status, 'dev', { ...INFRASTRUCTURE, STATUS_MESSAGE: 'hi' }, generated, 'lab.json');
    expect(stores.vars).toEqual({ DEV_SSH_USER: 'deploy', DEV_SSH_HOST_KEY: 'pin', DEV_STATUS_MESSAGE: 'hi' });
    expect(Object.keys(stores.secrets).sort()).toEqual(['DEV_HOST', 'DEV_REGISTRY_PASSWORD', 'DEV_SSH_PRIVATE_KEY', 'DEV_STATUS_TOKEN']);
    expect(stores.secrets.DEV_STATUS_TOKEN).toMatch(/^[\w-]{24}$/);
    expect(generated).toEqual({ STATUS_TOKEN: stores.secrets.DEV_STATUS_TOKEN });
    // The same value for the next environment, and the next run that is handed the same record.
    expect(labStores(status, 'prod', { ...INFRASTRUCTURE, STATUS_MESSAGE: 'hi' }, generated, 'lab.json').secrets.PROD_STATUS_TOKEN).toBe(
      generated.STATUS_TOKEN,
    );
  });

  it('names a plain variable the lab has no value for', () => {
    expect(() => labStores(status, 'dev', INFRASTRUCTURE, {}, 'examples/status/lab.json')).toThrow(
      'examples/status/lab.json gives no lab value for STATUS_MESSAGE (DEV_STATUS_MESSAGE for dev)',
    );
  });
});
