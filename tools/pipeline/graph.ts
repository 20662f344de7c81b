// The golden pipeline's jobs and their order: one definition for the local pipeline (scripts/pipeline.ts),
// checked against .github/workflows/reusable-deploy.yml by test/workflows.test.ts so the two never drift.

export interface GraphJob {
  id: string;
  lane: 'setup' | 'backend' | 'frontend';
  needs: string[];
  /** Security scans report but never block. */
  continueOnError?: boolean;
}

export const PIPELINE_GRAPH: readonly GraphJob[] = [
  { id: 'audit-secrets', lane: 'setup', needs: [] },
  { id: 'build-backend', lane: 'backend', needs: ['audit-secrets'] },
  { id: 'test-backend', lane: 'backend', needs: ['build-backend'] },
  { id: 'scan-backend', lane: 'backend', needs: ['build-backend'], continueOnError: true },
  { id: 'migrate', lane: 'backend', needs: ['test-backend'] },
  { id: 'deploy-backend', lane: 'backend', needs: ['migrate'] },
  { id: 'health-backend', lane: 'backend', needs: ['deploy-backend'] },
  { id: 'build-frontend', lane: 'frontend', needs: ['audit-secrets'] },
  { id: 'test-frontend', lane: 'frontend', needs: ['build-frontend'] },
  { id: 'scan-frontend', lane: 'frontend', needs: ['build-frontend'], continueOnError: true },
  // The sync point: the new frontend never talks to an unmigrated database.
  { id: 'deploy-frontend', lane: 'frontend', needs: ['test-frontend', 'migrate'] },
  { id: 'health-frontend', lane: 'frontend', needs: ['deploy-frontend'] },
];
