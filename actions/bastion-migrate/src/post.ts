import { runToCompletion } from '#log/core';
import { run } from './close.ts';

runToCompletion('bastion-migrate post', run);
