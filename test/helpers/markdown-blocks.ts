/**
 * Pure helpers to run a document's shell blocks: find the section between two markers, its
 * fenced code blocks, a bash script that runs them in order with a sentinel line around each,
 * and the split of that script's output back into one result per block.
 */

export interface FencedBlock {
  /** The info string's first word (`bash`, `json`, … or '' when none). */
  lang: string;
  code: string;
  /** 1-based line of the opening fence, counted in the text given to fencedBlocks. */
  line: number;
}

/**
 * The text strictly between `start` and `end` (the first of each), and the 1-based line the
 * section starts on; throws when a marker is missing or out of order.
 * Example: sectionBetween('a\n<!-- s -->\nb\n<!-- e -->', '<!-- s -->', '<!-- e -->') → { text: '\nb\n', line: 2 }.
 */
export function sectionBetween(text: string, start: string, end: string): { text: string; line: number } {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`marker ${start} not found`);
  const to = text.indexOf(end, from + start.length);
  if (to < 0) throw new Error(`marker ${end} not found after ${start}`);
  return { text: text.slice(from + start.length, to), line: text.slice(0, from).split('\n').length };
}

/**
 * The fenced code blocks (``` or ~~~, three or more) of a Markdown text, in order.
 * Example: fencedBlocks('x\n```bash\necho hi\n```\n') → [{ lang: 'bash', code: 'echo hi\n', line: 2 }].
 */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) body.push(lines[j++]);
    if (j >= lines.length) throw new Error(`code block opened on line ${i + 1} is never closed`);
    blocks.push({ lang: open[2], code: body.length > 0 ? `${body.join('\n')}\n` : '', line: i + 1 });
    i = j;
  }
  return blocks;
}

const mark = (nonce: string, index: number, what: 'start' | 'end') => `@@${nonce} block ${index} ${what}`;

/**
 * One bash script running `blocks` in order in the same shell, with `set -euo pipefail`, stderr
 * merged into stdout, and a sentinel line before and after each block so the output can be split
 * per block. A failing command stops the script: its block has a start line and no end line.
 */
export function composeBlockScript(blocks: readonly string[], nonce: string): string {
  const parts = ['set -euo pipefail', 'exec 2>&1'];
  blocks.forEach((code, i) => {
    parts.push(`printf '\\n%s\\n' '${mark(nonce, i, 'start')}'`, code.replace(/\n?$/, '\n'), `printf '\\n%s\\n' '${mark(nonce, i, 'end')}'`);
  });
  return `${parts.join('\n')}\n`;
}

export interface BlockResult {
  index: number;
  started: boolean;
  completed: boolean;
  output: string;
}

/**
 * Splits the output of a composeBlockScript script into one result per block.
 * Example: with nonce n, '\n@@n block 0 start\nhi\n\n@@n block 0 end\n' → [{ index: 0, started: true, completed: true, output: 'hi' }].
 */
export function splitBlockOutput(output: string, nonce: string, count: number): BlockResult[] {
  const results: BlockResult[] = [];
  for (let i = 0; i < count; i++) {
    const start = output.indexOf(mark(nonce, i, 'start'));
    if (start < 0) {
      results.push({ index: i, started: false, completed: false, output: '' });
      continue;
    }
    const bodyFrom = start + mark(nonce, i, 'start').length;
    const end = output.indexOf(mark(nonce, i, 'end'), bodyFrom);
    const body = output.slice(bodyFrom, end < 0 ? undefined : end);
    results.push({ index: i, started: true, completed: end >= 0, output: body.replace(/^\n/, '').replace(/\n+$/, '') });
  }
  return results;
}
