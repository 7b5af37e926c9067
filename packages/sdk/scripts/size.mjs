// Fails the build when the script-tag SDK grows beyond its gzip budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 20 * 1024;
const file = new URL('../dist/sdk.js', import.meta.url);
const raw = readFileSync(file);
const gz = gzipSync(raw, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`sdk.js: ${kb(raw.length)} minified, ${kb(gz)} gzipped (budget ${kb(BUDGET)})`);
if (gz > BUDGET) {
  console.error(`sdk.js is ${kb(gz - BUDGET)} over its ${kb(BUDGET)} gzip budget.`);
  process.exit(1);
}
