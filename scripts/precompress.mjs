// Writes a Brotli (.br) and a gzip (.gz) copy beside each text asset of the built web apps, so the server
// (koa-send's brotli/gzip options in server/src/lib/staticSite.ts) answers them compressed at the best
// levels without compressing on every request. Run by `npm run build` after the apps are built.
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const TEXT_ASSET = /\.(js|mjs|css|html|svg|json|txt|wasm)$/i;
const MIN_BYTES = 1024; // below a packet's worth compression saves nothing worth a second file

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}

const dirs = process.argv.slice(2);
if (!dirs.length) {
  console.error('usage: node scripts/precompress.mjs <dist dir>...');
  process.exit(2);
}
for (const dir of dirs) {
  if (!existsSync(dir)) {
    console.error(`precompress: ${dir} does not exist; build it first`);
    process.exit(1);
  }
  let raw = 0;
  let br = 0;
  let count = 0;
  for (const file of files(dir)) {
    if (!TEXT_ASSET.test(file)) continue;
    const body = readFileSync(file);
    if (body.length < MIN_BYTES) continue;
    const brotli = brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    writeFileSync(`${file}.br`, brotli);
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
    raw += body.length;
    br += brotli.length;
    count += 1;
  }
  const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
  console.log(`precompress ${dir}: ${count} files, ${kb(raw)} → ${kb(br)} brotli`);
}
