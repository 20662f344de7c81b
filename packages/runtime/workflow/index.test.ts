import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { actionStepNodes, jobNodes, stepNodes, stringAt } from './index.ts';

const contents = (text: string) => parseDocument(text).contents;

describe('the workflow walk', () => {
  const workflow = contents(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
      - just a string
      - uses: actions/checkout@v4
  reusable:
    uses: ./.github/workflows/deploy.yml
  broken: not a mapping
  ? [complex, key]
  : steps: []
`);

  it('yields the jobs that are mappings under a scalar key, in file order, with their key for positions', () => {
    const jobs = jobNodes(workflow);
    expect(jobs.map((j) => j.id)).toEqual(['build', 'reusable']);
    expect(jobs[0]!.key.range![0]).toBeGreaterThan(0);
    expect(stringAt(jobs[1]!.job, 'uses')).toBe('./.github/workflows/deploy.yml');
  });

  it('yields the steps that are mappings', () => {
    const steps = stepNodes(jobNodes(workflow)[0]!.job);
    expect(steps.map((s) => stringAt(s, 'run') ?? stringAt(s, 'uses'))).toEqual(['make', 'actions/checkout@v4']);
    expect(stepNodes(jobNodes(workflow)[1]!.job)).toEqual([]);
  });

  it("reads a composite action's runs.steps, and nothing from other actions", () => {
    expect(
      actionStepNodes(contents('runs:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n')).map((s) =>
        stringAt(s, 'shell'),
      ),
    ).toEqual(['bash']);
    expect(actionStepNodes(contents('runs:\n  using: node24\n  main: dist/index.cjs\n'))).toEqual([]);
  });

  it('yields nothing for documents that are not workflows', () => {
    for (const text of ['', 'just text', '- a\n- b', 'jobs: [a, b]', 'jobs:\n']) expect(jobNodes(contents(text))).toEqual([]);
    expect(stringAt(jobNodes(workflow)[0]!.job, 'steps')).toBeUndefined();
  });
});
