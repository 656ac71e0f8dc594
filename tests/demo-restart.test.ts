import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './support/demo';

// `npm start`'s server process as a user runs it: demo mode on a data dir, SIGTERM for a clean stop, and a
// second start on the same data dir keeping everything.

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startServerProcess(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', MEMBERCARD_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '', DEMO_SEED: 'minimal', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /API\s+(http:\/\/localhost:\d+)\/api\/v1/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

function stopWithSigterm(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('exit');
    started.child.on('exit', (code) => resolve(code));
    started.child.kill('SIGTERM');
  });
}

describe('the demo server process', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'membercard-restart-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints its URLs and demo accounts, stops cleanly on SIGTERM, and keeps its data across restarts', async () => {
    const first = await startServerProcess(dataDir);
    expect(first.output()).toContain('hq / hq-demo-pass');
    expect(first.output()).toContain('sh01-clerk / staff-demo-pass');
    const health = await fetch(`${first.url}/healthz`).then((r) => r.json() as Promise<any>);
    expect(health).toEqual({ status: 'ok', db: 'ok' });
    const login = await fetch(`${first.url}/api/v1/auth/wechat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'restart-shopper' }),
    }).then((r) => r.json() as Promise<any>);
    const joined = await fetch(`${first.url}/api/v1/me/membership`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ acceptTerms: true, privacyPolicyVersion: '2026-01', homeStoreId: 'SH01' }),
    }).then((r) => r.json() as Promise<any>);
    expect(joined.cardNo).toMatch(/^\d{12}$/);
    expect(await stopWithSigterm(first)).toBe(0);

    const second = await startServerProcess(dataDir);
    try {
      const again = await fetch(`${second.url}/api/v1/auth/wechat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'restart-shopper' }),
      }).then((r) => r.json() as Promise<any>);
      expect(again.member.cardNo).toBe(joined.cardNo);
      // The demo seed ran once: still exactly the seeded staff accounts.
      const hq = await fetch(`${second.url}/api/v1/auth/admin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }),
      }).then((r) => r.json() as Promise<any>);
      const staff = await fetch(`${second.url}/api/v1/admin/staff`, { headers: { authorization: `Bearer ${hq.token}` } }).then((r) => r.json() as Promise<any>);
      expect(staff.items.map((s: { username: string }) => s.username).sort()).toEqual(['bj01-clerk', 'hq', 'hq-marketing', 'hq-viewer', 'sh01-clerk', 'sh01-manager']);
    } finally {
      expect(await stopWithSigterm(second)).toBe(0);
    }
  }, 150_000);

  it('refuses to start on a bad configuration value with one clear line', async () => {
    await expect(startServerProcess(dataDir, { PORT: 'not-a-port' })).rejects.toThrow(/exited with 1:\nInvalid configuration: PORT/);
  }, 30_000);
});
