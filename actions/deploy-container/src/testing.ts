/** For the unit tests of the deploy orchestration against a fake host: inputs, and a logger that says nothing. */
import { InputReader } from '#inputs/index';
import type { Logger } from '#log/index';
import { readDeployInputs } from './inputs.ts';

export const quietLogger: Logger = {
  debug() {},
  info() {},
  warning() {},
  error() {},
  startGroup() {},
  endGroup() {},
  mask() {},
  annotate() {},
};

/** Inputs for `web` on deploy.example.com, published on 127.0.0.1:8000 with a quick health gate; `values` override. */
export const fakeHostInputs = (values: Record<string, string>) =>
  readDeployInputs(
    new InputReader(
      (name) =>
        ({
          host: 'deploy.example.com',
          username: 'deploy',
          password: 'pw',
          'insecure-ignore-host-key': 'true',
          image: 'registry.example.com/web:v2',
          name: 'web',
          ports: '127.0.0.1:8000:80',
          'health-url': 'http://127.0.0.1:8000/health',
          'health-interval': '10ms',
          'health-attempts': '2',
          ...values,
        })[name] ?? '',
    ),
  );
