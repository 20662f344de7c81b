// The one walk over a parsed workflow or action (yaml's Document nodes): its jobs, and the steps of a job or
// of a composite action. audit-secrets, heredoc-lint and verify all read workflows through it.
import { isMap, isScalar, isSeq, type Scalar, type YAMLMap } from 'yaml';

/** One job of a workflow: its id, its key (for positions) and its mapping. */
export interface JobNode {
  id: string;
  key: Scalar;
  job: YAMLMap;
}

/** The `jobs:` entries whose key is a scalar and whose value is a mapping, in file order; none for anything else. */
export function jobNodes(root: unknown): JobNode[] {
  const jobs = isMap(root) ? root.get('jobs', true) : undefined;
  if (!isMap(jobs)) return [];
  const result: JobNode[] = [];
  for (const pair of jobs.items) {
    if (isScalar(pair.key) && isMap(pair.value)) result.push({ id: String(pair.key.value), key: pair.key, job: pair.value });
  }
  return result;
}

/** The steps of a job, or of a composite action's `runs:`, that are mappings. */
export function stepNodes(owner: unknown): YAMLMap[] {
  const steps = isMap(owner) ? owner.get('steps', true) : undefined;
  return isSeq(steps) ? steps.items.filter(isMap) : [];
}

/** The steps of an action.yml (`runs.steps`): empty unless it is a composite action. */
export function actionStepNodes(root: unknown): YAMLMap[] {
  return stepNodes(isMap(root) ? root.get('runs', true) : undefined);
}

/** A string-valued key of a mapping (`uses`, `run`, `shell`…), or undefined. */
export function stringAt(map: YAMLMap, key: string): string | undefined {
  const value = map.get(key);
  return typeof value === 'string' ? value : undefined;
}
