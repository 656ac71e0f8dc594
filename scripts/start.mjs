#!/usr/bin/env node
// `npm start`: builds the HQ console and the H5 mini-program once if they are missing (a fresh clone),
// then runs the server in the foreground. With no MONGODB_URI that is demo mode on the embedded defaults.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builds = [
  { output: 'admin/dist/index.html', args: ['run', 'build', '-w', '@membercard/admin'] },
  { output: 'miniprogram/dist/h5/index.html', args: ['run', 'build:h5', '-w', '@membercard/miniprogram'] },
];
for (const build of builds) {
  if (existsSync(join(root, build.output))) continue;
  process.stdout.write(`building ${build.output} (first start only)…\n`);
  const result = spawnSync('npm', build.args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// Demo mode's first start on a data dir also seeds the demo brand (server/src/demo/brand), which takes a while.
const dataDir = resolve(root, process.env.MEMBERCARD_DATA_DIR ?? '.data');
if (!process.env.MONGODB_URI && (process.env.DEMO_SEED ?? 'brand') === 'brand' && !existsSync(dataDir)) {
  process.stdout.write('first start: seeding the demo brand (2,000 members and their year, 15–30 s; DEMO_SEED=minimal for the small demo)…\n');
}
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/src/main.ts')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
