export * from './special-functions';
export * from './distributions';
export * from './hypothesis-tests';
export * from './confidence-intervals';
export * from './effect-sizes';
export * from './sequential';
export * from './drift';
