import { runToCompletion } from '#log/core.ts';
import { run } from './main.ts';

runToCompletion('audit-secrets', run);
