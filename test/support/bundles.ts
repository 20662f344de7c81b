// The committed bundles: every dist/*.cjs of the actions and of the command-line package.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function committedBundles(): string[] {
  const folders = [...readdirSync('actions').map((action) => join('actions', action, 'dist')), join('packages', 'cli', 'dist')];
  return folders
    .filter((folder) => existsSync(folder))
    .flatMap((folder) =>
      readdirSync(folder)
        .filter((file) => file.endsWith('.cjs'))
        .map((file) => join(folder, file)),
    );
}
