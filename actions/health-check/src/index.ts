import { envInputSource } from '../../../packages/inputs/index.ts';
import { coreLogger } from '../../../packages/log/core.ts';
import { coreReporter } from '../../../packages/log/reporter-core.ts';
import { nodeHttpTransport } from '../../../packages/probe/index.ts';
import { run } from './main.ts';

void run({ inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, transport: nodeHttpTransport });
