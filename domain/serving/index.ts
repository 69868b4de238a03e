export * from './desired-state';
export * from './placement';
export * from './memory';
export * from './load-request';
export * from './readiness';
