// Fails the build when a file the SDK ships grows beyond its gzip budget: the script-tag SDK, and
// the two parts only push uses (fetched lazily, and the service worker every push wakes up).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGETS = { 'sdk.js': 20 * 1024, 'push.js': 3.5 * 1024, 'herald-sw.js': 2.5 * 1024 };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let over = false;
for (const [name, budget] of Object.entries(BUDGETS)) {
  const raw = readFileSync(new URL(`../dist/${name}`, import.meta.url));
  const gz = gzipSync(raw, { level: 9 }).length;
  console.log(
    `${name}: ${kb(raw.length)} minified, ${kb(gz)} gzipped (budget ${kb(budget)}, ${gz > budget ? 'over' : `${budget - gz} B left`})`,
  );
  if (gz > budget) {
    console.error(`${name} is ${kb(gz - budget)} over its ${kb(budget)} gzip budget.`);
    over = true;
  }
}
if (over) process.exit(1);
