// GitHub API failures as one error type, with the fine-grained permission each path needs. Apart from the
// client (client.ts), so that code which only recognises these errors does not load Octokit.
import { UserError } from '#errors/index';

export class GitHubApiError extends UserError {
  readonly status: number;
  readonly path: string;
  constructor(status: number, path: string, message: string) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

/** The permission a path needs, for 403/404 messages. */
export function permissionFor(path: string): string {
  if (/\/variables\b|organization-variables/.test(path)) return 'Variables: read (and Environments: read for environment variables)';
  if (/\/environments\//.test(path)) return 'Secrets: read and Environments: read';
  return 'Secrets: read';
}
