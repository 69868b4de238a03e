// Barrel for the api and activities. Workflows import the files they need directly (and only
// types from strategy-config-schemas), so zod stays out of the workflow bundle.
export * from './enums';
export * from './iso-duration';
export * from './strategy-config-schemas';
export * from './traffic-split';
export * from './analysis';
export * from './steps';
export * from './commands';
export * from './smoke-test';
export * from './shadow-comparison';
export * from './ab-test';
export * from './deployment-status';
