import { readFileSync } from 'node:fs';

export { labEnv, type LabEnv, parseLabEnv } from '#lab/env';

export const readKey = (file: string) => readFileSync(file, 'utf8');
