/**
 * Workflows shaped like the ones real repositories keep (our own text, generated, not copied): several jobs
 * with needs, matrices, env and permissions blocks, comments, `if:` conditions, `with:` inputs, expressions,
 * and run: scripts from one line to forty, a few of them with heredocs. Sizes follow what a survey of public
 * repositories shows: most files 2–10 KB, a tail to 25 KB. Deterministic for a seed.
 */

/** A small seeded generator (mulberry32), so that every run of the bench lints the same files. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMANDS = [
  'npm ci',
  'npm run build --if-present',
  'npm test -- --coverage',
  'pip install -r requirements.txt',
  'python -m pytest -q',
  'go build ./...',
  'go test -race ./...',
  'cargo build --release',
  'docker build -t "$IMAGE:${{ github.sha }}" .',
  'echo "version=$(git describe --tags --always)" >> "$GITHUB_OUTPUT"',
  'echo "::group::Environment"',
  'env | sort',
  'echo "::endgroup::"',
  'mkdir -p dist/reports',
  'tar czf dist/app.tgz -C build .',
  'ls -la dist',
  'curl -fsSL "$HEALTH_URL" -o /dev/null',
  'for f in dist/*.tgz; do sha256sum "$f"; done',
  'git config user.name "github-actions[bot]"',
  'git diff --exit-code',
  './scripts/check-migrations.sh',
  'make lint',
];
const ACTIONS = [
  'actions/checkout@v5',
  'actions/setup-node@v5',
  'actions/setup-python@v6',
  'actions/cache@v4',
  'actions/upload-artifact@v4',
  'docker/login-action@v3',
  'docker/build-push-action@v6',
];

function heredocScript(pick: () => number, n: number): string[] {
  const delimiter = ['EOF', 'ENV', 'CONFIG', 'SQL'][Math.floor(pick() * 4)]!;
  const quoted = pick() < 0.5;
  const lines = [`cat > config/app-${n}.env <<${quoted ? `'${delimiter}'` : delimiter}`];
  for (let k = 0; k < 3 + Math.floor(pick() * 8); k++) lines.push(`KEY_${k}=${quoted ? 'value' : '${{ vars.SETTING }}'}-${k}`);
  lines.push(delimiter);
  return lines;
}

function runScript(pick: () => number, n: number): string[] {
  const length = pick() < 0.45 ? 1 : 2 + Math.floor(pick() ** 2 * 38);
  const lines: string[] = [];
  if (length > 3 && pick() < 0.06) lines.push(...heredocScript(pick, n));
  while (lines.length < length) {
    if (pick() < 0.08) lines.push('if [ "${{ github.event_name }}" = "push" ]; then', '  echo "pushing ${{ github.ref_name }}"', 'fi');
    else if (pick() < 0.1)
      lines.push(`# ${['build the image', 'run the checks', 'publish the report', 'prepare the cache'][Math.floor(pick() * 4)]}`);
    else lines.push(COMMANDS[Math.floor(pick() * COMMANDS.length)]!);
  }
  return lines;
}

function step(pick: () => number, n: number): string[] {
  const out = [`      - name: Step ${n} ${['build', 'test', 'lint', 'package', 'report'][Math.floor(pick() * 5)]}`];
  if (pick() < 0.2) out.push(`        if: \${{ github.event_name == 'push' && matrix.node == 24 }}`);
  if (pick() < 0.4) {
    out.push(`        uses: ${ACTIONS[Math.floor(pick() * ACTIONS.length)]}`);
    if (pick() < 0.7) {
      out.push('        with:');
      for (let k = 0; k < 1 + Math.floor(pick() * 4); k++) out.push(`          option-${k}: \${{ matrix.node }}-${k}`);
    }
    return out;
  }
  if (pick() < 0.25) {
    out.push('        env:');
    for (let k = 0; k < 1 + Math.floor(pick() * 4); k++) out.push(`          VAR_${k}: \${{ secrets.TOKEN_${k} }}`);
  }
  const script = runScript(pick, n);
  if (script.length === 1)
    out.push(`        run: ${script[0]!.startsWith('#') || script[0]!.includes(': ') ? `'${script[0]!.replace(/'/g, "''")}'` : script[0]}`);
  else out.push('        run: |', ...script.map((line) => `          ${line}`));
  return out;
}

function workflow(pick: () => number, index: number): string {
  const lines = [
    `name: Pipeline ${index}`,
    '',
    'on:',
    '  push:',
    '    branches: [main, development]',
    "    paths-ignore: ['docs/**', '*.md']",
    '  pull_request:',
    '  workflow_dispatch:',
    '',
    'permissions:',
    '  contents: read',
    '',
    'concurrency:',
    `  group: pipeline-${index}-\${{ github.ref }}`,
    '  cancel-in-progress: true',
    '',
    'env:',
    '  IMAGE: ghcr.io/acme/service',
    '  HEALTH_URL: https://example.com/healthz',
    '',
    'jobs:',
  ];
  const jobCount = 1 + Math.floor(pick() ** 1.5 * 7);
  let stepNumber = 0;
  for (let j = 0; j < jobCount; j++) {
    lines.push(`  job-${j}:`, `    name: Job ${j}`, '    runs-on: ubuntu-latest', '    timeout-minutes: 20');
    if (j > 0 && pick() < 0.6) lines.push(`    needs: [job-${Math.floor(pick() * j)}]`);
    if (pick() < 0.3)
      lines.push('    strategy:', '      fail-fast: false', '      matrix:', '        node: [20, 22, 24]', '        os: [ubuntu-latest]');
    if (pick() < 0.2)
      lines.push('    # A comment about this job, the way people keep them.', '    defaults:', '      run:', '        shell: bash');
    lines.push('    steps:', '      - uses: actions/checkout@v5');
    for (let s = 0; s < 3 + Math.floor(pick() * 12); s++) lines.push(...step(pick, stepNumber++));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** `count` workflow files, the same for the same seed. */
export function realShapedWorkflows(count: number, seed = 20261201): { name: string; content: string }[] {
  const pick = random(seed);
  return Array.from({ length: count }, (_, index) => ({
    name: `pipeline-${String(index).padStart(4, '0')}.yml`,
    content: workflow(pick, index),
  }));
}
