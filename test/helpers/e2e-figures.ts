/**
 * Figures measured by the end-to-end tests: printed as `E2E-FIGURE name=value unit (conditions)`
 * and appended as JSON lines to $HOTSWAP_E2E_FIGURES (default <repo>/.test-data/e2e-figures.jsonl).
 */
import fs from 'node:fs';
import path from 'node:path';

export function figuresFile(): string {
  return process.env.HOTSWAP_E2E_FIGURES || path.join(__dirname, '..', '..', '.test-data', 'e2e-figures.jsonl');
}

export function recordFigure(name: string, value: number, unit: string, conditions: string): void {
  const rounded = Math.round(value * 1000) / 1000;
  process.stdout.write(`E2E-FIGURE ${name}=${rounded} ${unit} (${conditions})\n`);
  const file = figuresFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${JSON.stringify({ name, value: rounded, unit, conditions, at: new Date().toISOString() })}\n`);
}
