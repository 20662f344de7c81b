// A lint worker thread that claims a file and dies before sending anything, as a crashing thread would.
import { workerData } from 'node:worker_threads';

Atomics.add((workerData as { next: Int32Array }).next, 0, 1);
throw new Error('the worker thread died');
