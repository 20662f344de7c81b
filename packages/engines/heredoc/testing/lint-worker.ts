// A lint worker thread's entry when the code runs from source (the tests); the bundled command loads itself.
import { serveLintWorker } from '../threads.ts';

serveLintWorker();
