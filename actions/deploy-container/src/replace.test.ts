/**
 * Strategy replace's verdicts to the guarded remote unit, against a recording fake host: `commit` after
 * a passing gate, `restore` after a failing one (then the restored container is gated), `keep` with
 * rollback off. The unit itself (its restore when the channel closes) is tested against the lab.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingHost } from '#ssh/testing';
import { deployToHost } from './deploy.ts';
import { fakeHostInputs, quietLogger } from './testing.ts';

const read = fakeHostInputs;

/** A host where `web` runs v1; what serves on 127.0.0.1:8000 follows the guarded unit's verdicts. */
function hostWith(newImageHealthy: boolean) {
  let serving = 'v1';
  const host = new RecordingHost(
    (argv) => {
      const text = argv.join(' ');
      if (text === 'pwd') return { stdout: '/home/deploy\n' };
      if (argv[3] === 'guarded-replace') {
        serving = 'v2';
        return { stdout: 'started new-id\n' };
      }
      if (text.startsWith('docker container inspect --format {{.Id}}|') && argv.at(-1) === 'web')
        return { stdout: 'old-id|registry.example.com/web:v1|sha|running\n' };
      if (text.startsWith('docker container inspect') && argv.at(-1) === 'web.previous') return { code: 1 };
      return undefined;
    },
    (_address, _port, path) =>
      path === '/health' ? { status: serving === 'v2' && !newImageHealthy ? 500 : 200, body: serving } : undefined,
  );
  host.onEnd = (argv, input) => {
    if (argv[3] === 'guarded-replace' && input === 'restore\n') serving = 'v1';
  };
  return host;
}

let host: RecordingHost;
afterEach(() => host?.close());

describe('strategy replace verdicts', () => {
  it('commits a new container that passes its gate, then removes the previous one', async () => {
    host = hostWith(true);
    const result = await deployToHost(host, read({}), { actor: 't', runId: '1', logger: quietLogger });
    expect(result).toMatchObject({
      outcome: 'deployed',
      containerId: 'new-id',
      previousImage: 'registry.example.com/web:v1',
      servingContainer: 'web',
    });
    const verdict = host.indexOf(/^<stdin commit\n>$/);
    const unit = host.indexOf(/guarded-replace web web\.previous \S+\/web\.lock\.unit 10 3 4 5 docker container run --detach --name web /);
    expect(unit).toBeGreaterThanOrEqual(0);
    expect(verdict).toBeGreaterThan(unit);
    expect(host.indexOf(/^docker container rm --force web\.previous$/)).toBeGreaterThan(verdict);
  });

  it('tells the unit to restore after a failed gate, and gates the restored container', async () => {
    host = hostWith(false);
    const result = await deployToHost(host, read({}), { actor: 't', runId: '1', logger: quietLogger });
    expect(result).toMatchObject({ outcome: 'rolled-back', servingContainer: 'web' });
    expect(result.error).toMatch(/health gate: .*status 500/);
    expect(host.commands.filter((c) => c.startsWith('<stdin'))).toEqual(['<stdin restore\n>', '<stdin >']);
  });

  it('tells the unit to keep both containers when rollback is off', async () => {
    host = hostWith(false);
    const result = await deployToHost(host, read({ rollback: 'false' }), { actor: 't', runId: '1', logger: quietLogger });
    expect(result.outcome).toBe('failed');
    expect(host.commands).toContain('<stdin keep\n>');
  });
});
