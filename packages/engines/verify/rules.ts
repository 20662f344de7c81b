// The golden-state rules for a repository's workflows, as pure checks over parsed workflow files.
import { isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { jobNodes, stepNodes, stringAt } from '#workflow/index';
import { LineIndex } from '#text/lines';

export interface Violation {
  file: string;
  line: number;
  message: string;
}

export interface Step {
  uses?: string;
  run?: string;
  with: Record<string, string>;
  line: number;
}

export interface Job {
  file: string;
  id: string;
  needs: string[];
  environment?: string;
  steps: Step[];
  /** A job that calls a reusable workflow (uses: at job level). */
  uses?: string;
  line: number;
}

/** Jobs of one workflow file; a file that does not parse yields a violation instead. */
export function readJobs(file: string, text: string): Job[] | Violation {
  const lines = new LineIndex(text);
  const lineOf = (node: Node | null | undefined) => lines.position(node?.range?.[0] ?? 0).line;
  const document = parseDocument(text, { uniqueKeys: false });
  if (document.errors.length > 0)
    return {
      file,
      line: lines.position(document.errors[0]!.pos[0]).line,
      message: `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}`,
    };
  return jobNodes(document.contents).map(({ id, key, job }) => {
    const environment = job.get('environment', true) as Node | undefined;
    const environmentName = isMap(environment) ? environment.get('name') : isScalar(environment) ? environment.value : undefined;
    const needs = job.get('needs', true) as Node | undefined;
    return {
      file,
      id,
      line: lineOf(key),
      needs: isSeq(needs) ? needs.items.map((n) => String((n as { value: unknown }).value)) : isScalar(needs) ? [String(needs.value)] : [],
      environment: environmentName === undefined || environmentName === null ? undefined : String(environmentName),
      uses: stringAt(job, 'uses'),
      steps: stepNodes(job).map((step) => {
        const withNode = step.get('with', true);
        return {
          uses: stringAt(step, 'uses'),
          run: stringAt(step, 'run'),
          with: isMap(withNode)
            ? Object.fromEntries(
                withNode.items.map((p) => [
                  String((p.key as { value: unknown }).value),
                  String((p.value as { value?: unknown } | null)?.value ?? ''),
                ]),
              )
            : {},
          line: lineOf(step),
        };
      }),
    };
  });
}

const isAction = (uses: string | undefined, name: string) => uses !== undefined && new RegExp(`(^|/)${name}(@|$)`).test(uses);

/** Commands that migrate a database; in a workflow they belong only in bastion-migrate's command. */
const MIGRATION =
  /\bmanage\.py\s+migrate\b|\bflyway\s+(?:-\S+\s+)*migrate\b|\balembic\s+upgrade\b|\b(?:rails|rake)\s+db:migrate\b|\bprisma\s+migrate\s+deploy\b|\bknex\s+migrate:latest\b/;

export function migrationsOnlyThroughBastion(jobs: readonly Job[]): Violation[] {
  return jobs.flatMap((job) =>
    job.steps
      .filter((step) => step.run && MIGRATION.test(step.run))
      .map((step) => ({
        file: job.file,
        line: step.line,
        message: `job ${job.id} runs a migration in a run: step (${MIGRATION.exec(step.run!)![0]}); migrations go through bastion-migrate`,
      })),
  );
}

/** Every deploy-container step is followed by a health-check: later in its job, or in a job that needs it. */
export function healthCheckAfterEveryDeploy(jobs: readonly Job[]): Violation[] {
  const violations: Violation[] = [];
  for (const job of jobs) {
    job.steps.forEach((step, index) => {
      if (!isAction(step.uses, 'deploy-container')) return;
      const inJob = job.steps.slice(index + 1).some((s) => isAction(s.uses, 'health-check'));
      const after = jobs.some(
        (other) => other.file === job.file && other.needs.includes(job.id) && other.steps.some((s) => isAction(s.uses, 'health-check')),
      );
      if (!inJob && !after)
        violations.push({
          file: job.file,
          line: step.line,
          message: `job ${job.id} deploys with deploy-container but no health-check follows it`,
        });
    });
  }
  return violations;
}

/** Production never runs latest: no :latest image, no allow-latest, in any job that may deploy to production. */
export function noLatestInProduction(jobs: readonly Job[]): Violation[] {
  const violations: Violation[] = [];
  for (const job of jobs) {
    // An environment given by an expression may be production.
    const production = job.environment === undefined || /prod|\$\{\{/i.test(job.environment);
    if (!production) continue;
    for (const step of job.steps.filter((s) => isAction(s.uses, 'deploy-container'))) {
      if (/^(true|yes|on)$/i.test(step.with['allow-latest'] ?? ''))
        violations.push({
          file: job.file,
          line: step.line,
          message: `job ${job.id} sets allow-latest on a deploy that may reach production`,
        });
      const image = step.with.image ?? '';
      if (/:latest$/.test(image) || (image !== '' && !image.includes('${{') && !/[:@][^/]+$/.test(image))) {
        violations.push({ file: job.file, line: step.line, message: `job ${job.id} deploys ${image}, which is (or defaults to) latest` });
      }
    }
  }
  return violations;
}
