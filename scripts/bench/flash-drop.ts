/**
 * Flash drops (限量抢券): many members at once against one limited coupon template or one small activity.
 * Every request is sent at the same moment (no pool): what a 10:00 drop looks like.
 *  - baseline: the same number of bare conditional updates (`remaining > 0` → `$inc`) on one document, the floor;
 *  - mall exchanges over HTTP (POST /me/points/exchanges), code claims through their service, coupon-centre claims
 *    over HTTP (POST /coupon-centre/:templateId/claim), HQ grants over HTTP (POST /admin/coupon-templates/:id/grants),
 *    sign-ups for a small free activity over HTTP (POST /activities/:id/signups).
 * Each prints the wall time, p50/p99 of the answers, the answers by status and code, the ratio of its p99 to the
 * baseline's, and checks exactly UNITS coupons (seats) were given, every other answer a refusal (no 5xx), and that
 * the points books reconcile.
 * Every drop runs in two topologies (BENCH_TOPOLOGY=in-process,split): in-process, the clients, the server and the
 * embedded database in this one process; split, the database (embedded-mongo's CLI) and the clients
 * (flash-drop-clients.ts) each in a child process, this process the server alone, as deployed. Each is compared with
 * its own floor, and the run ends with both topologies' p99 side by side. BENCH_PROFILE=<dir>: a CPU profile per drop.
 * Run: npx tsx scripts/bench/flash-drop.ts   BENCH_CLAIMS=1000 BENCH_UNITS=100 BENCH_SEATS=100 BENCH_WARMUP=100 BENCH_ONLY=mall,code,centre,grant,signup
 *
 * p99 at 1,000 against 100, two runs each. Before the drop's gate (CouponIssuer.admit: a refusal writes nothing),
 * in-process at load 3.4–5.3, floor 0.30 / 0.29 s: mall 7.5 / 7.2 s (6.8 commands each), code 3.6 / 4.6 s (4.5),
 * centre 4.3 / 4.9 s (6.2), grant 4.1 / 4.1 s (4.3), sign-up 6.6 / 7.0 s (6.0). After, at load 1.2–2.3:
 *   in-process (floor 0.26 / 0.23 s): mall 2.67 / 2.74 s (4.0), code 1.40 / 1.35 s (3.6), centre 2.12 / 1.83 s (3.4),
 *     grant 1.33 / 1.24 s (1.6), sign-up 4.08 / 3.53 s (5.8);
 *   split (floor 0.20 / 0.27 s): mall 1.86 / 2.12 s, code 1.08 / 1.02 s, centre 1.36 / 1.29 s, grant 0.73 / 0.80 s,
 *     sign-up 1.92 / 2.15 s.
 * Now (coalesced reads, the member read after the gate, waitlist counters, the warm-up drop), at load 1.1–1.4:
 *   in-process (floor 0.16 / 0.16 s): mall 1.59 / 1.61 s (1.9 commands), code 0.99 / 1.05 s (3.6), centre 0.97 / 1.00 s
 *     (1.5), grant 0.91 / 0.96 s (1.1), sign-up 1.53 / 1.63 s (3.0);
 *   split (floor 0.14 / 0.12 s): mall 0.68 / 0.71 s, code 0.87 / 0.86 s, centre 0.38 / 0.34 s, grant 0.43 / 0.37 s,
 *     sign-up 0.86 / 0.77 s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { reconcilePoints } from '../../server/src/modules/points/reconcile';
import type { Actor } from '../../server/src/lib/requestContext';
import { AppError } from '../../server/src/lib/errors';
import { sendAll, type DropAnswer, type DropOrder, type DropRequest, type Outcome } from './flash-drop-clients';
import { CommandCounter, fmt, startBenchApp, startDatabaseProcess } from './support';

const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 1_000);
const UNITS = Number(process.env.BENCH_UNITS ?? 100);
const SEATS = Number(process.env.BENCH_SEATS ?? 100);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'mall,code,centre,grant,signup').split(','));
const POINTS_COST = 100;
/**
 * Requests of an unmeasured drop on each HTTP path before the measured ones (other members, their own template or
 * activity with a tenth of the units): a server at 10:00 has been serving for hours, its code compiled; the first
 * drop measured on a fresh process also timed the JIT. 0: none.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);
/** A directory: each scenario's drop (not the set-up) is CPU-profiled into `<scenario>.cpuprofile` there. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
/**
 * Where the parts run: `in-process` (the HTTP clients, the server and the embedded database in this one process, as
 * before) and `split` (the database and the clients each in a child process, this process the server alone, as
 * deployed: database on its own, clients on phones). Both by default, in-process first.
 */
const TOPOLOGIES = (process.env.BENCH_TOPOLOGY ?? 'in-process,split').split(',') as Array<'in-process' | 'split'>;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function summarise(label: string, run: { wallMs: number; outcomes: Outcome[]; commands: string }, baselineP99?: number): { p50: number; p99: number } {
  const { wallMs, outcomes } = run;
  const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  const byAnswer = new Map<string, number>();
  for (const o of outcomes) byAnswer.set(`${o.status} ${o.code}`, (byAnswer.get(`${o.status} ${o.code}`) ?? 0) + 1);
  // Each answer's own p99: the winners' path and the refusals' differ, and the refusals wait on the winners' gate.
  const byAnswerP99 = (key: string) => fmt(quantile(outcomes.filter((o) => `${o.status} ${o.code}` === key).map((o) => o.ms).sort((a, b) => a - b), 0.99));
  const answers = [...byAnswer].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n} (p99 ${byAnswerP99(k)} ms)`).join(', ');
  const ratio = baselineP99 ? `  p99 ${fmt(p99 / baselineP99, 1)}× the baseline's` : '';
  console.log(`${label.padEnd(40)} wall ${fmt(wallMs).padStart(7)} ms  p50 ${fmt(p50).padStart(6)} ms  p99 ${fmt(p99).padStart(6)} ms${ratio}`);
  console.log(`${''.padEnd(40)} ${answers}`);
  if (run.commands) console.log(`${''.padEnd(40)} ${run.commands}`);
  return { p50, p99 };
}

let counter: CommandCounter | null = null;
let profiler: Session | null = null;
/** The split topology's child processes, whose CPU each drop reports beside this process's own. */
let childProcesses: Array<{ name: string; pid: number }> = [];

/** A process's CPU time so far in ms, from /proc (user + system, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU each process spent during `work`: in a drop everything arrives at once, so the busiest process sets the p99. */
async function cpuOf<T>(work: () => Promise<T>): Promise<{ result: T; cpu: string }> {
  const own = process.cpuUsage();
  const before = childProcesses.map((c) => processCpuMs(c.pid));
  const result = await work();
  const spent = process.cpuUsage(own);
  const parts = [`${childProcesses.length ? 'server' : 'this process'} ${fmt((spent.user + spent.system) / 1000)} ms`];
  childProcesses.forEach((c, i) => parts.push(`${c.name} ${fmt(processCpuMs(c.pid) - before[i]!)} ms`));
  return { result, cpu: `CPU: ${parts.join(', ')}` };
}

/** Runs one drop with the command counter (and the profiler) on; answers its outcomes and the commands each took. */
async function measured(label: string, count: number, run: () => Promise<DropAnswer>): Promise<{ wallMs: number; outcomes: Outcome[]; commands: string }> {
  if (PROFILE_DIR && !profiler) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  if (profiler) await profiler.post('Profiler.start');
  if (counter) {
    counter.byName = new Map();
    counter.on = true;
  }
  const { result: { wallMs, outcomes }, cpu } = await cpuOf(run);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(path.join(PROFILE_DIR!, `${label}.cpuprofile`), JSON.stringify(profile));
  }
  let commands = '';
  if (counter) {
    counter.on = false;
    const total = [...counter.byName.values()].reduce((a, b) => a + b, 0);
    commands = `${fmt(total / count, 1)} commands each [${[...counter.byName].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${fmt(n / count, 1)}`).join(', ')}]`;
  }
  commands = [commands, cpu].filter(Boolean).join(`\n${''.padEnd(41)}`);
  return { wallMs, outcomes, commands };
}

/** `count` calls made in this process at once (the floor, the code claims' service calls), each timed. */
function timedAll(label: string, count: number, one: (i: number) => Promise<Omit<Outcome, 'ms'>>): Promise<{ wallMs: number; outcomes: Outcome[]; commands: string }> {
  return measured(label, count, async () => {
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const t0 = performance.now();
        const answer = await one(i);
        return { ...answer, ms: performance.now() - t0 };
      }),
    );
    return { wallMs: performance.now() - started, outcomes };
  });
}

/** A service call's outcome in HTTP terms: 201 on success, the refusal's status and code, 500 for anything else. */
async function asAnswer(work: () => Promise<unknown>): Promise<Omit<Outcome, 'ms'>> {
  try {
    await work();
    return { status: 201, code: 'OK' };
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    return { status: 500, code: `INTERNAL (${(err as Error).message.slice(0, 60)})` };
  }
}

function check(label: string, ok: boolean): void {
  console.log(`${''.padEnd(40)} ${ok ? 'ok  ' : 'FAIL'} ${label}`);
  if (!ok) process.exitCode = 1;
}

type Topology = 'in-process' | 'split';

/** p99 and the floor's p99 per scenario, for the closing comparison of the topologies. */
type Figures = Map<string, { p99: number; floorP99: number }>;


/** The load generator as a child process (flash-drop-clients.ts over IPC): one drop at a time. */
async function startClientsProcess(): Promise<{ send(order: DropOrder): Promise<DropAnswer>; child: ChildProcess }> {
  const child = fork(path.join(__dirname, 'flash-drop-clients.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, FLASH_DROP_CLIENTS: '1' } });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the clients' process exited with ${code}`)));
  });
  return {
    child,
    send: (order) =>
      new Promise((resolve, reject) => {
        child.once('message', (answer: DropAnswer | { error: string }) => ('error' in answer ? reject(new Error(answer.error)) : resolve(answer)));
        child.send(order);
      }),
  };
}

async function runTopology(topology: Topology): Promise<Figures> {
  const figures: Figures = new Map();
  const database = topology === 'split' ? await startDatabaseProcess() : null;
  const clients = topology === 'split' ? await startClientsProcess() : null;
  childProcesses = database && clients ? [{ name: 'database', pid: database.child.pid! }, { name: 'clients', pid: clients.child.pid! }] : [];
  const bench = await startBenchApp('bench_flash_drop', CLAIMS, database ? { uri: database.uri } : {});
  const { connection, services } = bench;
  counter = bench.counter;
  const base = `${bench.origin}/api/v1`;
  const now = new Date();

  /** Every request of one drop at once over HTTP, from this process or from the clients' process. */
  const drop = (label: string, requests: DropRequest[]) =>
    measured(label, requests.length, () => {
      const order: DropOrder = { base, maxSockets: Math.min(requests.length, 500), requests };
      return clients ? clients.send(order) : sendAll(order);
    });

  // Members, each with points for one exchange and a session; the warm-up drops' members after them.
  const everyone: Array<{ id: Types.ObjectId; token: string }> = [];
  const docs = [];
  for (let i = 0; i < CLAIMS + WARMUP; i++) {
    const id = new Types.ObjectId();
    docs.push({
      _id: id, status: 'active', cardNo: `FD${String(i).padStart(10, '0')}`, codeSecret: 'AAAAAAAAAAAAAAAA', homeStoreId: 'SH01', profileComplete: false,
      tier: 'silver', tierSince: now, pointsBalance: 0, spend12mFen: 0, tags: [], joinedAt: now, createdAt: now,
    });
    everyone.push({ id, token: '' });
  }
  await services.models.members.insertMany(docs);
  for (const member of everyone) {
    await services.ledger.earn({ memberId: member.id, amount: POINTS_COST, reason: 'bench', source: 'bonus', idempotencyKey: `bench:${String(member.id)}` });
    member.token = (await services.tokens.issue({ type: 'shopper', memberId: String(member.id) })).token;
  }
  const admin = await services.models.staff.findOne({ username: 'hq' }).lean<{ _id: Types.ObjectId }>();
  const adminActor: Actor = { type: 'admin', staffId: String(admin!._id), role: 'hq', hqRole: 'admin', sessionId: 'bench' };
  const adminTokenValue = (await services.tokens.issue({ type: 'admin', staffId: String(admin!._id) })).token;

  async function template(title: string, pointsCost: number | null, inCouponCentre = false): Promise<string> {
    const created = await services.models.couponTemplates.create({
      title, type: 'cash', amountOffFen: 1_000, minSpendFen: null, validDays: 30, totalQuantity: UNITS, perMemberLimit: 1, pointsCost, inCouponCentre,
      status: 'active', issuedCount: 0, remaining: UNITS, storeIds: [], tiers: [], createdAt: now, updatedAt: now,
    });
    return String(created._id);
  }
  const members = everyone.slice(0, CLAIMS);
  const warmMembers = everyone.slice(CLAIMS);
  async function activityWithSeats(title: string, seats: number) {
    const at = now.getTime();
    return services.models.activities.create({
      title, description: 'bench', storeId: null, startAt: new Date(at + 7 * 86_400_000), endAt: new Date(at + 7 * 86_400_000 + 3_600_000),
      signupClosesAt: new Date(at + 6 * 86_400_000), capacity: seats, seatsLeft: seats, signupSeq: 0, tiers: [], feeFen: 0, attendancePoints: 0,
      status: 'published', createdAt: now, updatedAt: now,
    });
  }
  async function couponsOf(templateId: string): Promise<number> {
    return services.models.coupons.countDocuments({ templateId: new Types.ObjectId(templateId) });
  }

  const where = topology === 'split'
    ? 'split: the embedded database and the HTTP clients each in a process of their own, this one the server alone'
    : 'in-process: clients, server and embedded database in this one process';
  console.log(`\n${where}   (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);

  // Baseline: the floor, one conditional update per request on one document, all at once, from the server's process.
  const floor = connection.collection('bench_flash_floor');
  await floor.insertOne({ _id: 'drop' as unknown as never, remaining: UNITS, issued: 0 });
  const baseline = await timedAll(`${topology}-baseline`, CLAIMS, async () => {
    const taken = await floor.findOneAndUpdate({ _id: 'drop' as unknown as never, remaining: { $gt: 0 } }, { $inc: { remaining: -1, issued: 1 } });
    return taken ? { status: 201, code: 'OK' } : { status: 422, code: 'TEMPLATE_EXHAUSTED' };
  });
  const floorStats = summarise('baseline: bare conditional $inc', baseline);
  check(`exactly ${UNITS} taken`, baseline.outcomes.filter((o) => o.status === 201).length === UNITS);
  const note = (scenario: string, run: { wallMs: number; outcomes: Outcome[]; commands: string }, label: string) => {
    figures.set(scenario, { p99: summarise(label, run, floorStats.p99).p99, floorP99: floorStats.p99 });
  };

  if (WARMUP > 0) {
    const units = Math.max(1, Math.round(UNITS / 10));
    const started = performance.now();
    const send = (requests: DropRequest[]) => {
      const order: DropOrder = { base, maxSockets: Math.min(requests.length, 500), requests };
      return clients ? clients.send(order) : sendAll(order);
    };
    const warmTemplate = async (title: string, pointsCost: number | null, inCouponCentre = false) => {
      const id = await template(title, pointsCost, inCouponCentre);
      await services.models.couponTemplates.updateOne({ _id: id }, { $set: { totalQuantity: units, remaining: units } });
      return id;
    };
    if (ONLY.has('mall')) {
      const templateId = await warmTemplate('预热 积分兑换', POINTS_COST);
      await send(warmMembers.map((m, i) => ({ path: '/me/points/exchanges', body: { templateId }, token: m.token, key: `warm-mall-${i}` })));
    }
    if (ONLY.has('centre')) {
      const templateId = await warmTemplate('预热 领券中心券', null, true);
      await send(warmMembers.map((m, i) => ({ path: `/coupon-centre/${templateId}/claim`, body: {}, token: m.token, key: `warm-centre-${i}` })));
    }
    if (ONLY.has('grant')) {
      const templateId = await warmTemplate('预热 总部赠券', null);
      await send(warmMembers.map((m, i) => ({ path: `/admin/coupon-templates/${templateId}/grants`, body: { memberId: String(m.id) }, token: adminTokenValue, key: `warm-grant-${i}` })));
    }
    if (ONLY.has('signup')) {
      const activity = await activityWithSeats('预热活动', units);
      await send(warmMembers.map((m) => ({ path: `/activities/${String(activity._id)}/signups`, body: {}, token: m.token })));
    }
    console.log(`warm-up: ${fmt(WARMUP)} requests on each HTTP path against ${units} units, other members (${fmt(performance.now() - started)} ms, not measured)`);
  }

  const verify = async (label: string, templateId: string, outcomes: Outcome[]) => {
    const coupons = await couponsOf(templateId);
    const tpl = await services.models.couponTemplates.findById(templateId).lean<{ issuedCount: number; remaining: number }>();
    check(`exactly ${UNITS} coupons (${coupons}), ${outcomes.filter((o) => o.status === 201).length} answered 201`, coupons === UNITS && outcomes.filter((o) => o.status === 201).length === UNITS);
    check(`template issuedCount ${tpl!.issuedCount} = coupons, remaining ${tpl!.remaining}`, tpl!.issuedCount === coupons && tpl!.remaining === UNITS - coupons);
    check(`no 5xx (${label})`, outcomes.every((o) => o.status >= 200 && o.status < 500));
  };

  if (ONLY.has('mall')) {
    const templateId = await template('限量抢购 积分兑换', POINTS_COST);
    const run = await drop(`${topology}-mall`, members.map((m, i) => ({ path: '/me/points/exchanges', body: { templateId }, token: m.token, key: `drop-${i}` })));
    note('mall', run, 'HTTP POST /me/points/exchanges');
    await verify('mall', templateId, run.outcomes);
    const books = await reconcilePoints(services.models);
    const spent = await services.models.ledger.countDocuments({ source: 'exchange', memberId: { $in: members.map((m) => m.id) } });
    check(`points spent for exactly the coupons (${spent} exchange entries); books: ${books.membersChecked} members, ${books.breaks.length} breaks`, spent === UNITS && books.breaks.length === 0);
  }

  if (ONLY.has('code')) {
    const templateId = await template('限量兑换码券', null);
    const batch = await services.redemptionCodes.createBatch(adminActor, 'bench', { templateId, count: CLAIMS, expiresAt: new Date(now.getTime() + 86_400_000).toISOString() } as never);
    const codes = (await services.models.redemptionCodes.find({ batchId: new Types.ObjectId(batch.id) }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((c) => c._id);
    // One address per member: the claim's per-address limit is not what is measured here. Service calls, so made in
    // the server's process in either topology.
    const run = await timedAll(`${topology}-code`, CLAIMS, (i) => asAnswer(() => services.redemptionCodes.claim(String(members[i]!.id), `10.${(i >> 8) & 255}.${i & 255}.1`, codes[i]!)));
    note('code', run, 'code claims (service)');
    await verify('code', templateId, run.outcomes);
  }

  if (ONLY.has('centre')) {
    const templateId = await template('限量领券中心券', null, true);
    const run = await drop(`${topology}-centre`, members.map((m, i) => ({ path: `/coupon-centre/${templateId}/claim`, body: {}, token: m.token, key: `centre-${i}` })));
    note('centre', run, 'HTTP POST /coupon-centre/:id/claim');
    await verify('centre', templateId, run.outcomes);
  }

  if (ONLY.has('grant')) {
    const templateId = await template('限量总部赠券', null);
    const run = await drop(`${topology}-grant`, members.map((m, i) => ({ path: `/admin/coupon-templates/${templateId}/grants`, body: { memberId: String(m.id) }, token: adminTokenValue, key: `grant-${i}` })));
    note('grant', run, 'HTTP POST …/grants (HQ grant)');
    await verify('grant', templateId, run.outcomes);
  }

  if (ONLY.has('signup')) {
    const activity = await activityWithSeats('限量快闪活动', SEATS);
    const run = await drop(`${topology}-signup`, members.map((m) => ({ path: `/activities/${String(activity._id)}/signups`, body: {}, token: m.token })));
    note('signup', run, 'HTTP POST /activities/:id/signups');
    const confirmed = await services.models.signups.countDocuments({ activityId: activity._id, status: 'confirmed' });
    const waitlisted = await services.models.signups.countDocuments({ activityId: activity._id, status: 'waitlisted' });
    const left = (await services.models.activities.findById(activity._id).lean<{ seatsLeft: number }>())!.seatsLeft;
    check(`exactly ${SEATS} confirmed (${confirmed}), ${waitlisted} waitlisted, seatsLeft ${left}`, confirmed === SEATS && waitlisted === CLAIMS - SEATS && left === 0);
    check('no 5xx (signup)', run.outcomes.every((o) => o.status >= 200 && o.status < 500));
  }

  await bench.close();
  clients?.child.kill();
  database?.child.kill();
  return figures;
}

async function main(): Promise<void> {
  console.log(`flash-drop benchmark (node ${process.version}; ${fmt(CLAIMS)} requests at once against ${UNITS} units / ${SEATS} seats; topologies: ${TOPOLOGIES.join(', ')})`);
  const results = new Map<Topology, Figures>();
  for (const topology of TOPOLOGIES) results.set(topology, await runTopology(topology));
  console.log(`\np99 by topology (× its own floor, the bare $inc from the server's process)   load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const scenarios = [...new Set([...results.values()].flatMap((f) => [...f.keys()]))];
  console.log(`${'drop'.padEnd(10)}${TOPOLOGIES.map((t) => t.padStart(24)).join('')}`);
  for (const scenario of scenarios) {
    const cells = TOPOLOGIES.map((t) => {
      const f = results.get(t)?.get(scenario);
      return (f ? `${fmt(f.p99)} ms (${fmt(f.p99 / f.floorP99, 1)}×)` : '—').padStart(24);
    });
    console.log(`${scenario.padEnd(10)}${cells.join('')}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
