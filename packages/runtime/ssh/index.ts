export * from './quote.ts';
export * from './hostkey.ts';
export * from './connection.ts';
export { checkPrivateKey } from './keys.ts';
export * from './tunnel.ts';
export * from './inputs.ts';
