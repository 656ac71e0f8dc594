import { startServer as startEmbeddedMongo, type RunningServer } from '@membercard/embedded-mongo';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Types } from 'mongoose';
import { withDatabase } from '../src/bootstrap';
import { inTransaction } from '../src/lib/transactions';
import { joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo } from './points-helpers';

// A stored-value charge is the account's debit, its ledger entry and the charge record, in one transaction. Here the
// server process is killed (SIGKILL) in the middle of one: held by a fail point (mongod's failCommand, picked by the
// process's appName) first after the debit, before the entry and the charge are written, then at the commit with
// everything written. After a restart the books show both or neither (here: neither, and no charge), the balance is
// untouched, and the till's resend of the same order charges it exactly once. The database lives in this test's
// process, so it outlives the server; the killed process's open transaction is aborted by the database's
// transaction lifetime limit, as mongod does (kept short here: 3 s).

const CHILD_APP = 'sv-fault-child';
const REPO_ROOT = path.resolve(__dirname, '../..');

let db: RunningServer | null = null;
let uri: string;
let app: TestApp;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const name = `mc_test_svfault_${randomBytes(6).toString('hex')}`;
  if (process.env.MONGODB_URI) uri = withDatabase(process.env.MONGODB_URI, name);
  else {
    db = await startEmbeddedMongo({ port: 0, transactionLifetimeMs: 3_000, cursorTimeoutMs: 1_000 });
    uri = withDatabase(db.uri, name);
  }
  // The harness's app on this database: the instance that sets up members and checks the books.
  app = await startTestApp({ sameDatabaseAs: { databaseUri: uri, stopDatabase: async () => undefined } as unknown as TestApp });
}, 60_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await app?.stop();
  await db?.stop();
});

/** The server in a process of its own, on this database; resolves with its base URL once it serves. */
async function startServerProcess(): Promise<{ url: string; proc: ChildProcess }> {
  const childUri = new URL(uri);
  childUri.searchParams.set('appName', CHILD_APP);
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/stored-value-fault-child.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, MC_FAULT_DB_URI: childUri.toString(), NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server process not ready after 60 s: ${out}`)), 60_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /READY (\S+)/.exec(out);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}: ${out}`));
    });
  });
  return { url, proc };
}

async function call(base: string, method: string, pathname: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function failPoint(mode: unknown, data?: Record<string, unknown>): Promise<number> {
  return app.connection.db!.admin().command({ configureFailPoint: 'failCommand', mode, ...(data ? { data } : {}) }).then((reply) => Number(reply.count));
}

/** The member's books: nothing or exactly the one charge for `no`, and the balance = Σ entries. */
async function books(memberId: string, no: string) {
  const { storedValueEntries, storedValueCharges } = app.services.models;
  const id = new Types.ObjectId(memberId);
  const entries = await storedValueEntries.find({ memberId: id }).lean();
  const balance = await app.services.storedValueLedger.balanceOf(memberId);
  expect(entries.reduce((sum, e) => sum + e.principalDelta + e.bonusDelta, 0)).toBe(balance.totalFen);
  return {
    balance: balance.totalFen,
    entries: entries.filter((e) => e.idempotencyKey === `sv-charge:SH01:${no}`).length,
    charges: await storedValueCharges.countDocuments({ storeId: 'SH01', orderNo: no }),
  };
}

/** Sends a charge to the server process, holds it at `command` by a fail point, and kills the process there. */
async function killDuring(server: { url: string; proc: ChildProcess }, command: 'insert' | 'commitTransaction', clerk: string, body: Record<string, unknown>) {
  // Held far longer than the kill takes on a loaded machine: held only 4 s, a kill that came later let the insert go on
  // after its transaction had lapsed (3 s), the server retried the whole charge, and it was booked before the kill.
  // The hold ends, the command unrun, when the killed process's connection closes (as mongod's interruptible sleep).
  const data = { failCommands: [command], appName: CHILD_APP, blockConnection: true, blockTimeMS: 30_000 };
  const before = await failPoint({ times: 1 }, data);
  const answer = call(server.url, 'POST', '/staff/counter/stored-value/charges', body, clerk).catch(() => null);
  // Setting the same fail point again answers how often it fired, and leaves it as it was.
  const deadline = Date.now() + 20_000;
  while ((await failPoint({ times: 1 }, data)) === before) {
    if (Date.now() > deadline) throw new Error(`the charge never reached ${command}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  server.proc.kill('SIGKILL');
  await new Promise((resolve) => server.proc.once('exit', resolve));
  await failPoint('off');
  expect(await answer).toBeNull(); // the till got no answer
}

it('killed between taking a charge and recording it, and again at its commit: neither is booked; after a restart the resend charges once', async () => {
  const { token, member } = await joinedMember(app.api, 'sv-fault');
  await inTransaction(app.connection, undefined, (session) =>
    app.services.storedValueLedger.apply(session, { memberId: member.id, kind: 'topup', principalDelta: 10_000, bonusDelta: 0, reason: '充值（测试）', idempotencyKey: `test-topup:${member.id}`, actor: 'system' }),
  );

  // 1. Killed after the debit, before the entry and the charge are written.
  const first = await startServerProcess();
  const clerk1 = await call(first.url, 'POST', '/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' });
  const ticket1 = await call(first.url, 'POST', '/staff/counter/panel', { code: await memberCode(app.api, token) }, clerk1.body.token);
  const noA = orderNo('SVF');
  const chargeA = { orderNo: noA, orderTotalFen: 3_000, amountFen: 3_000 };
  await killDuring(first, 'insert', clerk1.body.token, { ...chargeA, ticket: ticket1.body.ticket });
  expect(await books(member.id, noA)).toEqual({ balance: 10_000, entries: 0, charges: 0 });

  // Restart: the order is not there; the till sends it again (with a fresh scan) and it is charged once.
  const second = await startServerProcess();
  const clerk2 = await call(second.url, 'POST', '/auth/staff', { username: 'sh01-clerk', password: 'staff-demo-pass' });
  expect((await call(second.url, 'GET', `/staff/stored-value/charges/${noA}`, undefined, clerk2.body.token)).status).toBe(404);
  const ticket2 = await call(second.url, 'POST', '/staff/counter/panel', { code: await memberCode(app.api, token) }, clerk2.body.token);
  const resent = await call(second.url, 'POST', '/staff/counter/stored-value/charges', { ...chargeA, ticket: ticket2.body.ticket }, clerk2.body.token);
  expect([resent.status, resent.body.amountFen]).toEqual([201, 3_000]);
  const again = await call(second.url, 'POST', '/staff/counter/stored-value/charges', { ...chargeA, ticket: ticket2.body.ticket }, clerk2.body.token);
  expect(again).toEqual(resent);
  expect(await books(member.id, noA)).toEqual({ balance: 7_000, entries: 1, charges: 1 });

  // 2. Killed at the commit, with the debit, the entry and the charge written in the transaction.
  const noB = orderNo('SVF');
  const chargeB = { orderNo: noB, orderTotalFen: 2_000, amountFen: 2_000 };
  await killDuring(second, 'commitTransaction', clerk2.body.token, { ...chargeB, ticket: ticket2.body.ticket });
  expect(await books(member.id, noB)).toEqual({ balance: 7_000, entries: 0, charges: 0 });

  // Another instance takes the resend: charged once.
  const clerk = await staffToken(app.api, 'sh01-clerk');
  const ticket = await app.api.post('/staff/counter/panel', { code: await memberCode(app.api, token) }, clerk);
  const answers = await Promise.all([0, 1].map(() => app.api.post('/staff/counter/stored-value/charges', { ...chargeB, ticket: ticket.body.ticket }, clerk)));
  expect(answers.map((a) => a.status)).toEqual([201, 201]);
  expect(answers[0]!.body).toEqual(answers[1]!.body);
  expect(await books(member.id, noB)).toEqual({ balance: 5_000, entries: 1, charges: 1 });
}, 120_000);
