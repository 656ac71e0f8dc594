// Weighs what a browser downloads, Brotli-compressed as the server sends it, and fails the build when a
// screen is over its budget (issue: a slow phone's H5 first paint took 6.7 s; the console's sign-in pulled 1 MB):
// - console sign-in: the entry chunk, the sign-in page's chunk and everything they import statically
//   (followed through Vite's manifest), plus CSS and index.html: ≤ 250 KB;
// - H5 first screen: index.html, every script and stylesheet it loads and the largest page chunk (the first page is one
//   of them; taking the largest bounds every start page): ≤ 300 KB; every further page chunk: ≤ 40 KB;
// - a library loaded only where a feature needs it (a chunk named `*-lib`, e.g. the counter's camera decoder,
//   fetched when the camera opens): ≤ 120 KB each.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1024;
const BUDGETS = { consoleSignIn: 250 * KB, h5FirstScreen: 300 * KB, h5Page: 40 * KB, h5OnDemandLibrary: 120 * KB };

const brotliSize = (file) =>
  brotliCompressSync(readFileSync(file), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (bytes) => `${(bytes / KB).toFixed(1)} KB`;
const failures = [];
const report = (label, bytes, budget) => {
  console.log(`${label}: ${kb(bytes)} brotli (budget ${kb(budget)}, ${((bytes / budget) * 100).toFixed(0)}%)`);
  if (bytes > budget) failures.push(`${label} ${kb(bytes)} is over ${kb(budget)}`);
};

function consoleSignIn() {
  const dist = path.join(ROOT, 'admin/dist');
  const manifestFile = path.join(dist, '.vite/manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${manifestFile} not found: build the console first`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const files = new Set(['index.html']);
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit('index.html');
  visit('src/pages/SignInPage.tsx');
  return [...files].reduce((sum, file) => sum + brotliSize(path.join(dist, file)), 0);
}

function h5() {
  const dist = path.join(ROOT, 'miniprogram/dist/h5');
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`${dist}/index.html not found: build the H5 app first`);
  const listed = (dir, ext) =>
    existsSync(path.join(dist, dir)) ? readdirSync(path.join(dist, dir)).filter((name) => name.endsWith(ext)).map((name) => `${dir}/${name}`) : [];
  const scripts = listed('js', '.js');
  const styles = listed('css', '.css');
  // What index.html loads before any page: the app's entry and the split chunks Taro puts beside it.
  const loadedByIndex = new Set(
    [...readFileSync(path.join(dist, 'index.html'), 'utf8').matchAll(/(?:src|href)="[^"]*?\/((?:js|css)\/[^"/]+\.(?:js|css))"/g)].map((m) => m[1]),
  );
  const isEntry = (file) => loadedByIndex.has(file);
  const isLibrary = (file) => /-lib\.[0-9a-f]+\.js$/.test(file);
  const libraries = scripts.filter(isLibrary).map((file) => ({ file, size: brotliSize(path.join(dist, file)) }));
  const pages = scripts.filter((file) => !isEntry(file) && !isLibrary(file)).map((file) => ({ file, size: brotliSize(path.join(dist, file)) }));
  const entry = ['index.html', ...scripts.filter(isEntry), ...styles.filter(isEntry)].reduce((sum, file) => sum + brotliSize(path.join(dist, file)), 0);
  const largest = pages.reduce((max, page) => (page.size > max.size ? page : max), { file: '-', size: 0 });
  return { firstScreen: entry + largest.size, pages, largest, libraries };
}

const signIn = consoleSignIn();
report('console sign-in', signIn, BUDGETS.consoleSignIn);
const mobile = h5();
report(`H5 first screen (entry + largest page ${mobile.largest.file})`, mobile.firstScreen, BUDGETS.h5FirstScreen);
for (const page of mobile.pages) if (page.size > BUDGETS.h5Page) failures.push(`H5 chunk ${page.file} ${kb(page.size)} is over ${kb(BUDGETS.h5Page)}`);
console.log(`H5 further chunks: ${mobile.pages.length}, largest ${kb(mobile.largest.size)} (budget ${kb(BUDGETS.h5Page)} each)`);
for (const library of mobile.libraries) report(`H5 on-demand library ${library.file}`, library.size, BUDGETS.h5OnDemandLibrary);
if (failures.length) {
  console.error(`web-budget failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('web-budget passed');
