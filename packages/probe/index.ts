export * from './types.ts';
export * from './checks.ts';
export * from './schedule.ts';
export * from './http.ts';
export * from './pattern.ts';
