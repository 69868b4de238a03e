import { summarizeLogProblems } from '../helpers/stack-harness';

it('counts warnings and errors of JSON logs by level, service and message, most frequent first', () => {
  const out = [
    '===== api =====',
    '{"level":"info","service":"api","msg":"request"}',
    '{"level":"warn","service":"api","msg":"feedback: slow submission"}',
    '{"level":"warn","service":"model-server","msg":"heartbeat failed"}',
    '{"level":"warn","service":"api","msg":"feedback: slow submission"}',
    '{"level":"error","service":"api","msg":"gateway: unexpected error"}',
    '{"level":"warn","service":"api","msg":"cut off by the outp',
    'plain text line',
  ].join('\n');
  expect(summarizeLogProblems(out)).toBe('2× warn api: feedback: slow submission; 1× warn model-server: heartbeat failed; 1× error api: gateway: unexpected error');
  expect(summarizeLogProblems(out, 1)).toBe('2× warn api: feedback: slow submission');
  expect(summarizeLogProblems('{"level":"info","msg":"x"}')).toBe('no warnings or errors');
});
