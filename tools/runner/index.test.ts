import { describe, expect, it } from 'vitest';
import { applyMasks, inputEnvironment, parseFileCommands, parseWorkflowCommands } from './index.ts';

describe('parseFileCommands', () => {
  it('reads name=value lines and name<<delimiter blocks as @actions/core writes them', () => {
    const text = 'plain=one=two\nresults<<ghadelimiter_1\n[\n  1\n]\nghadelimiter_1\nempty=\n';
    expect(parseFileCommands(text)).toEqual({ plain: 'one=two', results: '[\n  1\n]', empty: '' });
  });
  it('fails loudly on a block whose delimiter never comes, instead of dropping outputs', () => {
    expect(() => parseFileCommands('x<<EOF\nvalue\n')).toThrow(/delimiter EOF never found/);
  });
});

describe('parseWorkflowCommands', () => {
  it('decodes properties and data the way the runner does', () => {
    const [command] = parseWorkflowCommands('::error file=a%3Ab.yml,line=3,title=x%2Cy::two%0Alines 100%25\n');
    expect(command).toEqual({ command: 'error', properties: { file: 'a:b.yml', line: '3', title: 'x,y' }, message: 'two\nlines 100%' });
  });
  it('ignores ordinary output lines', () => {
    expect(parseWorkflowCommands('hello\n:: not a command\n::group::Phase\n').map((c) => c.command)).toEqual(['group']);
  });
});

describe('inputEnvironment', () => {
  it('fills declared defaults and lets given inputs win', () => {
    const manifest = { inputs: { 'max-attempts': { default: 5 }, urls: { required: true } }, runs: { using: 'node24', main: 'x' } };
    expect(inputEnvironment(manifest, { urls: 'http://a' })).toEqual({ 'INPUT_MAX-ATTEMPTS': '5', INPUT_URLS: 'http://a' });
  });
});

describe('applyMasks', () => {
  it('masks the longer secret whole when one secret contains another', () => {
    expect(applyMasks('token abc123 and abc', ['abc', 'abc123'])).toBe('token *** and ***');
  });
});
