import { envInputSource } from '../../../packages/inputs/index';
import { coreLogger } from '../../../packages/log/core';
import { coreReporter } from '../../../packages/log/reporter-core';
import { nodeHttpTransport } from '../../../packages/probe/index';
import { run } from './main';

void run({ inputs: envInputSource(), logger: coreLogger, reporter: coreReporter, transport: nodeHttpTransport });
