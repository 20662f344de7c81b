import { run } from './close.ts';

void run();
