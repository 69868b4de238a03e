export * from './canonical-json';
export * from './environments';
export * from './fnv1a';
export * from './routing-rules';
export * from './traffic-split';
