import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer as startEmbeddedMongo } from '@membercard/embedded-mongo';
import { MongoClient, ObjectId } from 'mongodb';
import mongoose from 'mongoose';
import pino from 'pino';
import { startMembercard, withDatabase } from '../src/bootstrap';
import type { Config } from '../src/config';
import { JOBS, type JobDefinition } from '../src/jobs/registry';
import { JOBS_COLLECTION, startScheduler, type JobScheduler } from '../src/jobs/scheduler';
import { startTestApp, type TestApp } from './support/harness';

// The background-job mechanism: several schedulers on one database never run a job twice at once or
// twice per occurrence; the product starts it and stops it; the job and reconcile commands work.

const REPO_ROOT = path.resolve(__dirname, '../..');
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: TestApp;
let other: mongoose.Connection;

function uriOf(dbName: string): string {
  return process.env.MONGODB_URI ? withDatabase(process.env.MONGODB_URI, dbName) : `mongodb://127.0.0.1:${app.connection.port}/${dbName}`;
}

beforeAll(async () => {
  app = await startTestApp({ seed: false });
  // The second "instance" gets a connection (and driver client) of its own, as another process would.
  other = await mongoose.createConnection(uriOf(app.connection.name)).asPromise();
}, 30_000);
afterAll(async () => {
  await other.close();
  await app.stop();
});

/** Counts runs of a test job across instances and the most that ever ran at once. */
// Intervals in these tests are bare numbers, which agenda reads as milliseconds.
class Probe {
  running = 0;
  maxRunning = 0;
  runs: string[] = [];
  job(name: string, every: string, instance: string, workMs: number): JobDefinition {
    return {
      name,
      every,
      description: 'test job',
      run: async () => {
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        this.runs.push(instance);
        await sleep(workMs);
        this.running--;
        return { processed: 1 };
      },
    };
  }
}

function scheduler(connection: mongoose.Connection, jobs: JobDefinition[]): Promise<JobScheduler> {
  // A short lock lifetime also keeps agenda's per-run lock check (lifetime / 2) from outliving the tests.
  return startScheduler({ services: app.services, connection, logger, jobs, processEveryMs: 50, lockLifetimeMs: 2_000, drainTimeoutMs: 5_000 });
}

describe('two schedulers on one database', () => {
  it('run each occurrence of a job on one of them only', async () => {
    const probe = new Probe();
    const started = Date.now();
    // Started at the same moment, on an empty jobs collection: both write the schedule.
    const [a, b] = await Promise.all([
      scheduler(app.connection, [probe.job('tick', '300', 'A', 80)]),
      scheduler(other, [probe.job('tick', '300', 'B', 80)]),
    ]);
    await sleep(3_000);
    await Promise.all([a.stop(), b.stop()]);
    const elapsed = Date.now() - started;

    expect(await app.connection.collection(JOBS_COLLECTION).countDocuments({ name: 'tick' })).toBe(1);
    expect(probe.maxRunning).toBe(1);
    // One instance alone would run it at most elapsed / 300 ms + 1 times; doubled runs would exceed that.
    expect(probe.runs.length).toBeLessThanOrEqual(Math.floor(elapsed / 300) + 1);
    expect(probe.runs.length).toBeGreaterThanOrEqual(4);
  }, 20_000);

  it('never start a job beside its running self when another instance starts up', async () => {
    const probe = new Probe();
    const a = await scheduler(app.connection, [probe.job('slow', '100', 'A', 700)]);
    for (let i = 0; i < 100 && probe.running === 0; i++) await sleep(20);
    expect(probe.running).toBe(1);
    // B starts while A runs the job: it must neither reset A's lock nor run the job too.
    const b = await scheduler(other, [probe.job('slow', '100', 'B', 700)]);
    await sleep(2_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(probe.maxRunning).toBe(1);
    expect(probe.runs.length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('take over a run whose instance stopped', async () => {
    const probe = new Probe();
    const a = await scheduler(app.connection, [probe.job('handover', '200', 'A', 50)]);
    for (let i = 0; i < 100 && probe.runs.length === 0; i++) await sleep(20);
    await a.stop();
    const before = probe.runs.length;
    const b = await scheduler(other, [probe.job('handover', '200', 'B', 50)]);
    await sleep(1_000);
    await b.stop();
    expect(probe.runs.slice(before)).toContain('B');
    expect(probe.runs.slice(before).every((by) => by === 'B')).toBe(true);
  }, 20_000);
});

describe('the product’s scheduler', () => {
  it('is started by startMembercard with every job in JOBS on its schedule, and stopped by close()', async () => {
    const config: Config = {
      env: 'test',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      demo: false,
      mongodbUri: uriOf(`mc_jobs_${randomBytes(4).toString('hex')}`),
      dataDir: '/nonexistent',
      jwtSecret: randomBytes(32).toString('hex'),
      wechat: { appId: 'wxtest000000000001', appSecret: 'demo-app-secret-not-for-production' },
      wechatPay: { mchId: '1900000001' },
    };
    const running = await startMembercard({ config, logger, emulator: true, jobs: true });
    try {
      const jobs = running.connection.collection(JOBS_COLLECTION);
      for (let i = 0; i < 100 && (await jobs.countDocuments()) < JOBS.length; i++) await sleep(50);
      const names = (await jobs.find({}, { projection: { name: 1 } }).toArray()).map((j) => j.name);
      expect(names.sort()).toEqual(JOBS.map((j) => j.name).sort());
      // The yearly review is a cron line in China time: 03:00 on 1 January is 19:00 UTC on 31 December.
      const review = await jobs.findOne({ name: 'tier-review' });
      expect(review!.nextRunAt.toISOString()).toMatch(/-12-31T19:00:00\.000Z$/);
    } finally {
      await running.close();
    }
    await running.connection.close().catch(() => undefined);
  }, 30_000);
});

describe('the commands', () => {
  function run(script: string, args: string[], dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, MEMBERCARD_DATA_DIR: dataDir, PORT: '1', LOG_LEVEL: 'silent' };
    delete env.MONGODB_URI;
    return new Promise((resolve) => {
      execFile(process.execPath, [require.resolve('tsx/cli'), script, ...args], { cwd: REPO_ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('npm run reconcile reports a broken balance in the demo database and exits 1; npm run job runs a job', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-commands-'));
    try {
      // A member whose balance has no ledger entries or lots behind it, written straight into the demo database.
      const db = await startEmbeddedMongo({ port: 0, dataDir: path.join(dataDir, 'db') });
      const client = await MongoClient.connect(db.uri);
      const memberId = new ObjectId();
      await client.db('membercard').collection('members').insertOne({ _id: memberId, status: 'active', tier: 'silver', pointsBalance: 5, spend12mFen: 0, tags: [], profileComplete: false, homeStoreId: null, createdAt: new Date() });
      await client.close();
      await db.stop();

      const reconcile = await run('scripts/reconcile.ts', [], dataDir);
      expect(reconcile.code).toBe(1);
      expect(reconcile.stdout).toContain(`member ${memberId.toHexString()}`);
      expect(reconcile.stdout).toContain('1 members checked, 1 break');

      const job = await run('scripts/job.ts', ['points-expiry'], dataDir);
      expect(job.stderr).toBe('');
      expect(job.code).toBe(0);
      expect(job.stdout).toMatch(/^points-expiry: processed 0 in \d+ ms/);
      expect((await run('scripts/job.ts', ['no-such-job'], dataDir)).code).toBe(2);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
