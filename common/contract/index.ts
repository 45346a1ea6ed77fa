// The single home of every name users and operators rely on: see docs/contract.md.
export * from './ports';
export * from './env';
export * from './headers';
export * from './annotations';
export * from './identity';
export * from './metrics';
export * from './injection';
export * from './check';
export * from './install';
export * from './prometheus';
export * from './tap';
