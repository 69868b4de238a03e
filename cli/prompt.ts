import readline from 'node:readline/promises';
import { Writable } from 'node:stream';

/** Reads a line from the terminal; with `hidden`, nothing typed is echoed (passwords). */
export async function promptLine(question: string, io: { stdin: NodeJS.ReadableStream; stderr(text: string): void }, hidden: boolean): Promise<string> {
  io.stderr(question);
  const output = hidden ? new Writable({ write: (_chunk, _enc, cb) => cb() }) : undefined;
  const rl = readline.createInterface({ input: io.stdin, output, terminal: hidden });
  try {
    return await rl.question('');
  } finally {
    rl.close();
    if (hidden) io.stderr('\n');
  }
}

/** All of stdin, without the trailing newline (`--password-stdin`). */
export async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
