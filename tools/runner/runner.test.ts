import { describe, expect, it } from 'vitest';
import { runAction, runStep, secretLeaks } from './index.ts';

const FIXTURE = 'tools/runner/fixtures/stateful';

describe('runAction on a fixture that speaks the runner protocol directly', () => {
  it('passes defaults and inputs, collects outputs, state, env and summary, then runs post with STATE_*', async () => {
    const { main, post } = await runAction(FIXTURE, { inputs: { secret: 's3cr3t-value' }, cwd: '/tmp' });
    expect(main.exitCode).toBe(0);
    expect(main.outputs).toEqual({ message: 'hello\nfrom /tmp' });
    expect(main.state).toEqual({ started: 'hello-state' });
    expect(main.exportedEnv).toEqual({ EXPORTED: 'yes' });
    expect(main.summary).toBe('## main ran\n');
    expect(main.commands.map((c) => c.command)).toEqual(['add-mask', 'group', 'endgroup']);
    expect(main.maskedLog).toContain('using secret ***');
    expect(post?.exitCode).toBe(0);
    expect(post?.stdout).toBe('post saw state hello-state\n');
    expect(post?.summary).toBe('## post cleaned up hello-state\n');
  });

  it('finds a secret the action printed even though the runner would mask it in the log', async () => {
    const main = await runStep(FIXTURE, 'main', { inputs: { secret: 's3cr3t-value' } });
    expect(secretLeaks(main, 's3cr3t-value')).toEqual(['stdout']);
  });

  it('reports the exit code and error annotations of a failing step', async () => {
    const main = await runStep(FIXTURE, 'main', { inputs: { greeting: 'fail' } });
    expect(main.exitCode).toBe(1);
    expect(main.commands.at(-1)).toEqual({ command: 'error', properties: { file: 'a.yml', line: '2' }, message: 'asked to fail' });
  });

  it('refuses an action that does not run on node24', async () => {
    await expect(runStep('tools/runner/fixtures/node20', 'main')).rejects.toThrow(/runs.using is node20, not node24/);
  });
});
