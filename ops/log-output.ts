import fs from 'node:fs';
import path from 'node:path';
import type { LineSink } from './process-supervisor';

const COLORS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** Writes `[name] line` to `out`, names padded to `width`, coloured when `out` is a terminal. */
export function prefixedSink(name: string, index: number, width: number, out: NodeJS.WriteStream = process.stdout): LineSink {
  const label = name.padEnd(width);
  const prefix = out.isTTY ? `\x1b[${COLORS[index % COLORS.length]}m${label} |\x1b[0m ` : `${label} | `;
  return (line) => {
    out.write(`${prefix}${line}\n`);
  };
}

/** Appends lines to a log file (for test runs, where service output would drown jest's). */
export function fileSink(file: string): LineSink {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  return (line) => {
    fs.writeSync(fd, `${line}\n`);
  };
}
