import { runToCompletion } from '#log/core';
import { run } from './main.ts';

runToCompletion('bastion-migrate', run);
