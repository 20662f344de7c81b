import { runToCompletion } from '#log/core.ts';
import { run } from './close.ts';

runToCompletion('bastion-migrate post', run);
