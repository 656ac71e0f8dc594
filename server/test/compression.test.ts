import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import Koa from 'koa';
import { compression } from '../src/lib/compression';
import { staticSite } from '../src/lib/staticSite';
import { startTestApp, type TestApp } from './support/harness';

// Answers are compressed as the client allows: JSON on the fly, built assets from the .br/.gz copies the
// build writes, never from a copy older than its file.

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function getRaw(url: string, acceptEncoding?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

describe('compressed answers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  }, 30_000);
  afterAll(() => app.stop());

  it('JSON answers in Brotli or gzip as accepted, plain otherwise', async () => {
    const plain = await getRaw(`${app.url}/api/v1/openapi.json`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const document = JSON.parse(plain.body.toString('utf8')) as { openapi: string };
    expect(document.openapi).toBeTruthy();

    const br = await getRaw(`${app.url}/api/v1/openapi.json`, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);

    const gz = await getRaw(`${app.url}/api/v1/openapi.json`, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
  });

  it('small answers are not worth compressing', async () => {
    const health = await getRaw(`${app.url}/healthz`, 'br');
    expect(health.status).toBe(200);
    expect(health.headers['content-encoding']).toBeUndefined();
  });
});

describe('built assets', () => {
  let root: string;
  let server: http.Server;
  let base: string;
  const script = `console.log(${JSON.stringify('会员卡 '.repeat(2000))});\n`;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-static-'));
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title><div id="app"></div>');
    fs.writeFileSync(path.join(root, 'assets/app.0123abcd.js'), script);
    const site = new Koa();
    site.use(compression());
    site.use(staticSite('/site/', root, 'test site'));
    server = site.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/site`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves the precompressed copy, cached immutably', async () => {
    // A marker only the precompressed copy has: proves the file was served, not recompressed on the fly.
    const copy = `${script}// from the build's copy\n`;
    fs.writeFileSync(path.join(root, 'assets/app.0123abcd.js.br'), brotliCompressSync(copy));
    const answer = await getRaw(`${base}/assets/app.0123abcd.js`, 'br, gzip');
    expect(answer.headers['content-encoding']).toBe('br');
    expect(answer.headers['cache-control']).toMatch(/immutable/);
    expect(brotliDecompressSync(answer.body).toString('utf8')).toBe(copy);
  });

  it('a copy older than its file is ignored and the file compressed on the fly', async () => {
    const file = path.join(root, 'assets/app.0123abcd.js');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.br`, past, past);
    const answer = await getRaw(`${base}/assets/app.0123abcd.js`, 'br');
    expect(answer.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(answer.body).toString('utf8')).toBe(script);
  });

  it('a client that accepts no encoding gets the file as it is', async () => {
    const answer = await getRaw(`${base}/assets/app.0123abcd.js`);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.body.toString('utf8')).toBe(script);
  });
});
