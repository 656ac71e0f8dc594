// Prints the main-package and total size of dist/weapp and fails when over budget.
// WeChat refuses a main package over 2 MB; we keep 1.5 MB so the card opens fast. Sub-packages are capped at 2 MB each.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN_BUDGET = 1.5 * 1024 * 1024;
const SUBPACKAGE_BUDGET = 2 * 1024 * 1024;
const TOTAL_BUDGET = 20 * 1024 * 1024;

const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/weapp');
if (!existsSync(path.join(distDir, 'app.json'))) {
  console.error(`size-check: ${distDir}/app.json not found; run npm run build:weapp first`);
  process.exit(1);
}

function sizeOf(target) {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

const app = JSON.parse(readFileSync(path.join(distDir, 'app.json'), 'utf8'));
const subPackages = app.subPackages ?? app.subpackages ?? [];
const total = sizeOf(distDir);
const subSizes = subPackages.map((sub) => ({ root: sub.root, size: existsSync(path.join(distDir, sub.root)) ? sizeOf(path.join(distDir, sub.root)) : 0 }));
const main = total - subSizes.reduce((sum, sub) => sum + sub.size, 0);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`main package: ${kb(main)} (budget ${kb(MAIN_BUDGET)})`);
for (const sub of subSizes) console.log(`  sub-package ${sub.root}: ${kb(sub.size)}`);
console.log(`total: ${kb(total)} (budget ${kb(TOTAL_BUDGET)})`);

const failures = [];
if (main > MAIN_BUDGET) failures.push(`main package ${kb(main)} is over ${kb(MAIN_BUDGET)}`);
for (const sub of subSizes) if (sub.size > SUBPACKAGE_BUDGET) failures.push(`sub-package ${sub.root} ${kb(sub.size)} is over ${kb(SUBPACKAGE_BUDGET)}`);
if (total > TOTAL_BUDGET) failures.push(`total ${kb(total)} is over ${kb(TOTAL_BUDGET)}`);
if (failures.length) {
  console.error(`size-check failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('size-check passed');
