import { runToCompletion } from '#log/core';
import { run } from './main.ts';

runToCompletion('health-check', run);
