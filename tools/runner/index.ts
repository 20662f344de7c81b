/**
 * Runs an action's committed bundle the way GitHub's runner (and act) does: inputs as INPUT_*,
 * with action.yml defaults filled in; GITHUB_OUTPUT/ENV/STATE/STEP_SUMMARY as files; workflow
 * commands read from stdout; the post step run with STATE_* from the main step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { inputEnvName } from '#inputs/index';
import { redact } from '#log/index';

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface StepRun {
  step: 'main' | 'post';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout with every registered mask applied, as the job log shows it. */
  maskedLog: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  commands: WorkflowCommand[];
  masks: string[];
}

export interface RunOptions {
  inputs?: Record<string, string>;
  /** Extra environment for the step (the workflow's `env:`). */
  env?: Record<string, string>;
  cwd?: string;
  /** Write no GITHUB_STEP_SUMMARY file, as when the runner gives none. */
  noSummaryFile?: boolean;
  timeoutMs?: number;
  /** The node binary; defaults to the one running the tests (Node 24 under npm scripts). */
  node?: string;
  /** Called with the step's process once it is spawned: for tests that signal it, as a cancelling runner does. */
  onSpawn?: (child: ChildProcess) => void;
}

interface ActionManifest {
  inputs?: Record<string, { default?: string | number | boolean; required?: boolean }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function readActionManifest(actionDir: string): ActionManifest {
  return parseYaml(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as ActionManifest;
}

/** INPUT_* for every declared input: the given value, else the action.yml default, as the runner does. */
export function inputEnvironment(manifest: ActionManifest, inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
    if (spec.default !== undefined) env[inputEnvName(name)] = String(spec.default);
  }
  for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value;
  return env;
}

/** Parses a GITHUB_OUTPUT/ENV/STATE file: `name=value` lines and `name<<DELIM … DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i += 1) body.push(lines[i]!);
      if (i >= lines.length) throw new Error(`file command ${name}: delimiter ${delimiter} never found`);
      values[name!] = body.join('\n');
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`file command line is neither name=value nor name<<delimiter: ${line}`);
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** Parses `::command key=value,…::message` lines from a step's stdout. */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',')) {
      const equals = pair.indexOf('=');
      if (equals > 0) properties[pair.slice(0, equals)] = unescapeProperty(pair.slice(equals + 1));
    }
    commands.push({ command: match[1]!, properties, message: unescapeData(match[3]!) });
  }
  return commands;
}

/** The log as the runner shows it: every registered mask replaced (the actions' one masking function). */
export function applyMasks(text: string, masks: readonly string[]): string {
  return redact(text, masks);
}

/** Runs one step of an action: `main` or `post`. */
export async function runStep(
  actionDir: string,
  step: 'main' | 'post',
  options: RunOptions & { state?: Record<string, string> } = {},
): Promise<StepRun> {
  const dir = resolve(actionDir);
  const manifest = readActionManifest(dir);
  if (manifest.runs.using !== 'node24') throw new Error(`${dir}/action.yml: runs.using is ${manifest.runs.using}, not node24`);
  const entry = step === 'main' ? manifest.runs.main : manifest.runs.post;
  if (!entry) throw new Error(`${dir}/action.yml has no ${step} step`);

  const files = mkdtempSync(join(tmpdir(), 'gp-runner-'));
  const path = (name: string) => join(files, name);
  for (const name of ['output', 'env', 'state', 'summary', 'path']) writeFileSync(path(name), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: files,
    GITHUB_WORKSPACE: options.cwd ?? process.cwd(),
    GITHUB_OUTPUT: path('output'),
    GITHUB_ENV: path('env'),
    GITHUB_STATE: path('state'),
    GITHUB_PATH: path('path'),
    ...(options.noSummaryFile ? {} : { GITHUB_STEP_SUMMARY: path('summary') }),
    ...inputEnvironment(manifest, options.inputs ?? {}),
    ...Object.fromEntries(Object.entries(options.state ?? {}).map(([k, v]) => [`STATE_${k}`, v])),
    ...options.env,
  };

  try {
    const child = spawn(options.node ?? process.execPath, [join(dir, entry)], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code, sig) => done([code, sig]));
    });
    clearTimeout(timer);

    const commands = parseWorkflowCommands(stdout);
    const masks = commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
    return {
      step,
      exitCode,
      signal,
      stdout,
      stderr,
      maskedLog: applyMasks(stdout, masks),
      outputs: parseFileCommands(readFileSync(path('output'), 'utf8')),
      state: parseFileCommands(readFileSync(path('state'), 'utf8')),
      exportedEnv: parseFileCommands(readFileSync(path('env'), 'utf8')),
      summary: readFileSync(path('summary'), 'utf8'),
      commands,
      masks,
    };
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
}

export interface ActionRun {
  main: StepRun;
  post?: StepRun;
}

/** Runs main, then the post step (if the action has one) with the state main saved, as the runner does. */
export async function runAction(actionDir: string, options: RunOptions = {}): Promise<ActionRun> {
  const main = await runStep(actionDir, 'main', options);
  if (!readActionManifest(resolve(actionDir)).runs.post) return { main };
  const post = await runStep(actionDir, 'post', { ...options, state: main.state });
  return { main, post };
}

/**
 * Where a secret shows up in what a user can see: the masked log, outputs, summary, exported env
 * or stderr. The `::add-mask::` line itself is the one place the raw value may appear.
 */
export function secretLeaks(run: StepRun, secret: string): string[] {
  const places: string[] = [];
  const rawLog = run.stdout
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  if (rawLog.includes(secret)) places.push('stdout');
  if (run.stderr.includes(secret)) places.push('stderr');
  if (run.summary.includes(secret)) places.push('step summary');
  for (const [name, value] of Object.entries(run.outputs)) if (value.includes(secret)) places.push(`output ${name}`);
  for (const [name, value] of Object.entries(run.exportedEnv)) if (value.includes(secret)) places.push(`env ${name}`);
  return places;
}
