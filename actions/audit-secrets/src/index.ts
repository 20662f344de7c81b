import { runToCompletion } from '../../../packages/log/core.ts';
import { run } from './main.ts';

runToCompletion('audit-secrets', run);
