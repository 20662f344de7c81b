export * from './commands.ts';
export * from './envfile.ts';
export * from './image.ts';
export * from './ports.ts';
export * from './proxy.ts';
export * from './haproxy.ts';
export * from './tls.ts';
export * from './swarm.ts';
export * as hostCommands from './host.ts';
