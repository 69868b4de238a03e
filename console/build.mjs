// Builds the web console (console/src, Preact + htm) into one ES module with esbuild, and copies
// its page and style sheet beside it: `node console/build.mjs [outDir]` (default dist/console).
// npm run build runs it; the api serves the folder at /console. Nothing is fetched at run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(here, '..', 'dist', 'console'));
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: path.join(outDir, 'app.js'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css']) copyFileSync(path.join(here, file), path.join(outDir, file));
