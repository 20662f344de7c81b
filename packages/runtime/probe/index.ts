export * from './types.ts';
export * from './checks.ts';
export * from './schedule.ts';
export * from './http.ts';
export * from './pattern.ts';
export { proxyEnvironmentProblems, proxyPasswords } from './proxy.ts';
