import { execFileSync } from 'node:child_process';
import { composeBlockScript, fencedBlocks, sectionBetween, splitBlockOutput } from '../helpers/markdown-blocks';

describe('sectionBetween', () => {
  it('returns the text between the markers and the line it starts on', () => {
    expect(sectionBetween('a\n<!-- s -->\nb\n<!-- e -->\n', '<!-- s -->', '<!-- e -->')).toEqual({ text: '\nb\n', line: 2 });
  });
  it.each([
    ['no start', 'x <!-- e -->', /<!-- s --> not found/],
    ['end before start', '<!-- e --> <!-- s -->', /<!-- e --> not found after/],
  ])('throws on %s', (_name, text, message) => {
    expect(() => sectionBetween(text, '<!-- s -->', '<!-- e -->')).toThrow(message);
  });
});

describe('fencedBlocks', () => {
  it('finds each block with its language, code and opening line', () => {
    const md = ['intro', '```bash', 'echo "a"', '', 'echo b', '```', 'text', '~~~json', '{"x": "```"}', '~~~', '````', 'plain', '````'].join('\n');
    expect(fencedBlocks(md)).toEqual([
      { lang: 'bash', code: 'echo "a"\n\necho b\n', line: 2 },
      { lang: 'json', code: '{"x": "```"}\n', line: 8 },
      { lang: '', code: 'plain\n', line: 11 },
    ]);
  });
  it('throws on a block that is never closed', () => {
    expect(() => fencedBlocks('```bash\necho\n')).toThrow(/line 1 is never closed/);
  });
});

describe('composeBlockScript + splitBlockOutput (real bash)', () => {
  const run = (script: string) => {
    try {
      return execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    } catch (e) {
      return String((e as { stdout: string }).stdout);
    }
  };

  it('runs the blocks in one shell, in order, and splits the output per block', () => {
    const script = composeBlockScript(['X=1\necho first', 'echo "second $X" >&2', 'f() { echo "third $X"; }\nf'], 'n1');
    expect(splitBlockOutput(run(script), 'n1', 3)).toEqual([
      { index: 0, started: true, completed: true, output: 'first' },
      { index: 1, started: true, completed: true, output: 'second 1' },
      { index: 2, started: true, completed: true, output: 'third 1' },
    ]);
  });

  it('stops at the first failing command (pipefail and unset variables included)', () => {
    for (const failing of ['false | cat', 'echo "$UNSET_VARIABLE_X"', 'echo partial; exit 3']) {
      const results = splitBlockOutput(run(composeBlockScript(['echo ok', failing, 'echo never'], 'n2')), 'n2', 3);
      expect(results.map((r) => [r.started, r.completed])).toEqual([
        [true, true],
        [true, false],
        [false, false],
      ]);
    }
  });
});
