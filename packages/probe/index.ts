export * from './types';
export * from './checks';
export * from './schedule';
export * from './http';
