// What the in-process HTTP benchmarks (points, pos) share: number formatting, a driver command counter, a
// bounded task pool, and the product started as `npm start` would, minus WeChat, on an embedded database.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import { startServer } from '../../embedded-mongo/src';
import { createApp } from '../../server/src/app';
import type { Config } from '../../server/src/config';
import { seedDemoData } from '../../server/src/demo/seed';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../../server/src/modules/messaging/templates';
import { createServices, type ServiceDeps, type Services } from '../../server/src/services';

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Counts every command the driver sends, by name, while `on`. */
export class CommandCounter {
  on = false;
  byName = new Map<string, number>();
  attach(connection: mongoose.Connection): void {
    connection.getClient().on('commandStarted', (event: { commandName: string; command: Record<string, unknown> }) => {
      if (!this.on) return;
      // Named with its collection (`find members`): which read or write a path repeats is what one looks for.
      const target = event.command[event.commandName];
      const name = typeof target === 'string' ? `${event.commandName} ${target}` : event.commandName;
      this.byName.set(name, (this.byName.get(name) ?? 0) + 1);
    });
  }
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; total: number; byName: Map<string, number>; ms: number }> {
    this.byName = new Map();
    this.on = true;
    const started = performance.now();
    try {
      const result = await work();
      return { result, total: [...this.byName.values()].reduce((a, b) => a + b, 0), byName: this.byName, ms: performance.now() - started };
    } finally {
      this.on = false;
    }
  }
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

export interface BenchApp {
  connection: mongoose.Connection;
  services: Services;
  counter: CommandCounter;
  /** `http://127.0.0.1:<port>`, the API under `/api/v1`. */
  origin: string;
  agent: http.Agent;
  /** The product's HTTP server (a benchmark may lengthen its keep-alive, say). */
  server: http.Server;
  close(): Promise<void>;
}

/**
 * The product's services on a benchmark's connection, with every collection's indexes and the default categories
 * (what bootstrap does on a first start: order lines name these); no WeChat: the benchmarks' paths never call it.
 */
export async function benchServices(connection: Connection): Promise<Services> {
  const noWechat = new Proxy({}, { get: () => async () => { throw new Error('no WeChat in the benchmark'); } });
  const services = createServices({
    connection,
    config: { jwtSecret: randomBytes(32).toString('hex') },
    wechat: noWechat,
    subscribeTemplates: DEMO_SUBSCRIBE_TEMPLATES,
    wechatPay: { client: noWechat, appId: 'wxbench', mchId: '1900000001' },
  } as ServiceDeps);
  for (const model of Object.values(services.models)) await model.createIndexes();
  await services.categories.seedDefaults();
  return services;
}

/** The demo-seeded product on a fresh embedded database (or `options.uri`'s), served over HTTP in this process (no WeChat: these paths never call it). */
export async function startBenchApp(dbName: string, concurrency: number, options: { uri?: string } = {}): Promise<BenchApp> {
  // `uri`: a database already running elsewhere (another process); else an embedded one in this process.
  const db = options.uri ? null : await startServer({ port: 0 });
  const uri = options.uri ?? db!.uri;
  const connection = await mongoose.createConnection(`${uri.replace(/\/?$/, '')}/${dbName}`, { monitorCommands: true, maxPoolSize: 32 }).asPromise();
  const counter = new CommandCounter();
  counter.attach(connection);
  const logger = pino({ level: 'silent' });
  const services = await benchServices(connection);
  await seedDemoData(services, logger);

  const config: Config = {
    env: 'production', port: 0, host: '127.0.0.1', logLevel: 'silent', demo: false, dataDir: '/nonexistent',
    wechat: { appId: 'wxbench' }, wechatPay: { mchId: '1900000001' },
  };
  const { app } = createApp({ config, logger, connection, services });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    connection,
    services,
    counter,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agent,
    server,
    async close() {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await db?.stop();
    },
  };
}

/** The embedded database in a child process of its own, as a deployed server has it (its first stdout line is its URI). */
export async function startDatabaseProcess(nodeArgs: string[] = []): Promise<{ uri: string; child: ChildProcess }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('mongodb://'));
      if (line) resolve(line.trim());
    });
    child.on('exit', (code) => reject(new Error(`embedded-mongo exited with ${code}`)));
  });
  return { uri, child };
}
