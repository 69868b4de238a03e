export * from './judgement';
export * from './mixture-sequential';
export * from './latency-distribution-test';
export * from './judge-metrics';
export * from './assess-window';
