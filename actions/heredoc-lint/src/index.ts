import { runToCompletion } from '../../../packages/log/core.ts';
import { run } from './main.ts';

runToCompletion('heredoc-lint', run);
