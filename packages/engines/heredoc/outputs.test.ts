import { describe, expect, it } from 'vitest';
import { parseDocument, type YAMLMap } from 'yaml';
import { stepNodes } from '#workflow/index';
import { taintedOutputsBySteps, untrustedExpressions } from './outputs.ts';

const stepsOf = (yaml: string): YAMLMap[] => stepNodes(parseDocument(yaml).contents);
const job = `steps:
  - id: meta
    env:
      TITLE: \${{ github.event.issue.title }}
    run: |
      echo "title=$TITLE" >> "$GITHUB_OUTPUT"
      echo "number=\${{ github.event.issue.number }}" >> $GITHUB_OUTPUT
      echo "safe=fixed text" >> "$GITHUB_OUTPUT"
      {
        echo "body<<BODY_END"
        echo "$BODY"
        echo "BODY_END"
      } >> "\${GITHUB_OUTPUT}"
  - id: relay
    run: echo "again=\${{ steps.meta.outputs.title }}" >> "$GITHUB_OUTPUT"
  - id: ai
    uses: acme/summarise@v2
    with:
      text: \${{ github.event.comment.body }}
  - id: plain
    uses: acme/version@v1
    with:
      ref: main
  - run: echo last
`;

describe('step outputs that carry event data', () => {
  const visible = taintedOutputsBySteps(stepsOf(job), { BODY: '${{ github.event.comment.body }}' });

  it('follows event data written to $GITHUB_OUTPUT directly, through env:, and from an earlier output', () => {
    expect(Object.fromEntries(visible.at(-1)!)).toEqual({
      'steps.meta.outputs.title': { from: 'step meta writes github.event.issue.title (through $TITLE) to $GITHUB_OUTPUT', certain: true },
      'steps.meta.outputs.body': { from: 'step meta writes github.event.comment.body (through $BODY) to $GITHUB_OUTPUT', certain: true },
      'steps.relay.outputs.again': { from: 'step relay writes steps.meta.outputs.title to $GITHUB_OUTPUT', certain: true },
      'steps.ai.outputs.*': {
        from: 'step ai runs acme/summarise@v2 with github.event.comment.body among its inputs; whether this output carries it cannot be known from the workflow',
        certain: false,
      },
    });
  });

  it('shows a step only the outputs of the steps before it', () => {
    expect(visible[0]!.size).toBe(0);
    expect([...visible[1]!.keys()]).toEqual(['steps.meta.outputs.title', 'steps.meta.outputs.body']);
  });

  it('finds them in a body, beside direct event data, and leaves numbers and constants alone', () => {
    const found = untrustedExpressions(
      '${{ steps.meta.outputs.number }} ${{ steps.meta.outputs.safe }} ${{ steps.ai.outputs.summary }} ${{ github.head_ref }}',
      visible.at(-1)!,
    );
    expect(found.map((f) => [f.path, f.origin?.certain])).toEqual([
      ['steps.ai.outputs.summary', false],
      ['github.head_ref', undefined],
    ]);
  });
});
