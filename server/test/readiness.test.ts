import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Start-up as `npm start` runs it (server/src/main.ts in demo mode, in a process of its own): the port
// answers from the first connection it accepts. Requests fired in a tight loop from that moment, each with
// a time limit, all get 503 NOT_READY or 200 and none hangs; /healthz says alive throughout; /readyz turns
// from 503 (with what is pending) to 200; the URLs are printed only once the server is ready, with the demo
// data seeded by then.

const REPO_ROOT = path.resolve(__dirname, '../..');
const REQUEST_TIMEOUT_MS = 10_000;

interface Answer {
  path: string;
  status: number;
  body: any;
  retryAfter: string | null;
  /** When the answer arrived, ms since the port first accepted a connection. */
  at: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Connects over and over until the port accepts, then sends a request on that first socket at once. */
async function firstConnection(port: number, child: ChildProcess, deadline: number): Promise<{ opened: number; raw: Promise<string> }> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before opening its port`);
    if (Date.now() > deadline) throw new Error('the port never opened');
    const socket = await new Promise<net.Socket | null>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (!socket) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    const opened = Date.now();
    socket.write('GET /api/v1/app-config HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const raw = new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the request sent the instant the port opened had no answer after ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return { opened, raw };
  }
}

describe('start-up readiness of the server process', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'membercard-readiness-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every request from the moment the port opens: 503 NOT_READY until ready, then 200; prints its URLs only when ready', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/src/main.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MEMBERCARD_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '', NODE_ENV: 'development', DEMO_SEED: 'minimal' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = server;
    let output = '';
    let printedAt: number | null = null;
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (printedAt === null && output.includes('membercard is running')) printedAt = Date.now();
    });
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const { opened, raw } = await firstConnection(port, server, Date.now() + 90_000);
    const base = `http://127.0.0.1:${port}`;
    const answers: Answer[] = [];
    const failures: string[] = [];
    let readyAt: number | null = null;

    // Four lanes fire requests back to back from the moment the port opened, until /readyz says ready
    // and the URLs are printed; each request has a time limit, so a hung one fails the test.
    const paths = ['/healthz', '/readyz', '/api/v1/app-config', '/admin/', '/h5/', '/api/v1/openapi.json'];
    const lane = async (offset: number) => {
      for (let i = offset; (readyAt === null || printedAt === null) && Date.now() - opened < 90_000; i++) {
        const target = paths[i % paths.length]!;
        try {
          const res = await fetch(base + target, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
          const text = await res.text();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // HTML of the console or H5 once ready
          }
          answers.push({ path: target, status: res.status, body, retryAfter: res.headers.get('retry-after'), at: Date.now() - opened });
          if (target === '/readyz' && res.status === 200) readyAt ??= Date.now();
        } catch (err) {
          failures.push(`${target}: ${(err as Error).message}`);
          return;
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(lane));

    expect(failures).toEqual([]);
    const first = await raw;
    expect(first).toMatch(/^HTTP\/1\.1 (503|200) /);
    if (first.startsWith('HTTP/1.1 503')) {
      expect(first).toMatch(/\r\nretry-after: 1\r\n/i);
      expect(first).toContain('"code":"NOT_READY"');
    }

    // Every answer is 503 or 200; every 503 but /readyz's is the contract's error body with Retry-After.
    expect(answers.length).toBeGreaterThan(paths.length);
    for (const answer of answers) {
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503 && answer.path !== '/readyz') {
        expect(answer.body).toMatchObject({ error: { code: 'NOT_READY' }, requestId: expect.any(String) });
        expect(answer.retryAfter).toBe('1');
      }
    }
    // /healthz is liveness: it says ok while start-up is still going.
    for (const answer of answers.filter((a) => a.path === '/healthz')) expect(answer.body).toEqual({ status: 'ok', db: 'ok' });
    // /readyz went from 503 starting (naming what is pending) to 200 ready, and never back.
    const readyz = answers.filter((a) => a.path === '/readyz');
    const firstReady = readyz.findIndex((a) => a.status === 200);
    expect(firstReady).toBeGreaterThan(0);
    expect(readyz.slice(firstReady).every((a) => a.status === 200)).toBe(true);
    for (const starting of readyz.slice(0, firstReady)) {
      expect(starting.status).toBe(503);
      expect(starting.retryAfter).toBe('1');
      expect(starting.body).toMatchObject({ status: 'starting', db: 'ok' });
      expect(starting.body.pending.length).toBeGreaterThan(0);
      expect(['indexes', 'demoData', 'jobs']).toEqual(expect.arrayContaining(starting.body.pending));
    }
    expect(readyz[firstReady]!.body).toEqual({ status: 'ready', db: 'ok', pending: [] });
    const healthyWhileStarting = answers.filter((a) => a.path === '/healthz' && a.at < readyz[firstReady]!.at);
    expect(healthyWhileStarting.length).toBeGreaterThan(0);
    // The API refused work while starting and serves it once ready: no 200 from the API before /readyz's first 200 went out.
    const apiBeforeReady = answers.filter((a) => a.path.startsWith('/api/') && a.status === 503);
    expect(apiBeforeReady.length).toBeGreaterThan(0);
    const apiAfterReady = answers.filter((a) => a.path === '/api/v1/app-config' && a.at > readyz[firstReady]!.at);
    expect(apiAfterReady.every((a) => a.status === 200)).toBe(true);

    // The URLs were printed once ready, with the demo data there: HQ signs in at once.
    expect(printedAt).not.toBeNull();
    expect(readyz.filter((a) => a.at > printedAt! - opened).every((a) => a.status === 200)).toBe(true);
    expect(output).toContain('hq / hq-demo-pass');
    expect(output).toContain(`${`http://localhost:${port}`}/readyz`);
    const atPrint = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    expect(atPrint.status).toBe(200);
    const hq = await fetch(`${base}/api/v1/auth/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    expect(hq.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 150_000);
});
