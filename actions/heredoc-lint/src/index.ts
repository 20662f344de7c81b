import { runToCompletion } from '#log/core.ts';
import { run } from './main.ts';

runToCompletion('heredoc-lint', run);
