/** For the unit tests of the deploy orchestration against a fake host: inputs, and a logger that says nothing. */
import { InputReader } from '#inputs/index';
import type { Logger } from '#log/index';
import { readDeployInputs, readServiceStepInputs } from './inputs.ts';

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

/** The host and service every fake-host test deploys to: `web` on deploy.example.com. */
const FAKE_HOST = { host: 'deploy.example.com', username: 'deploy', password: 'pw', 'insecure-ignore-host-key': 'true', name: 'web' };
const reader = (values: Record<string, string>) => new InputReader((name) => values[name] ?? '');

/** Inputs for `web` on deploy.example.com, published on 127.0.0.1:8000 with a quick health gate; `values` override. */
export const fakeHostInputs = (values: Record<string, string>) =>
  readDeployInputs(
    reader({
      ...FAKE_HOST,
      image: 'registry.example.com/web:v2',
      ports: '127.0.0.1:8000:80',
      'health-url': 'http://127.0.0.1:8000/health',
      'health-interval': '10ms',
      'health-attempts': '2',
      ...values,
    }),
  );

/** A step without image on `web` (maintenance or remove), with `values`. */
export const fakeServiceStepInputs = (values: Record<string, string>) => readServiceStepInputs(reader({ ...FAKE_HOST, ...values }));
