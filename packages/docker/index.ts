export * from './commands.ts';
export * from './envfile.ts';
export * from './image.ts';
