#!/usr/bin/env node
// `npm start`: builds the HQ console and the H5 mini-program once if they are missing (a fresh clone),
// then runs the server in the foreground. With no MONGODB_URI that is demo mode on the embedded defaults.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/src/main.ts')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
