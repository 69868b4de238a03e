export * from './histogram';
export * from './counters';
export * from './quality';
export * from './window';
export * from './duration';
export * from './series';
export * from './fairness';
