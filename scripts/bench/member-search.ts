/**
 * Benchmark of HQ member search (issue #24 item 2): by card number, by phone and by name prefix, at a small and
 * a large member base, each set against the same search as it was before (the code it replaced, run in the same
 * process on the same data) and as a size ratio (large / small): flat means the ratio stays near 1.
 *   before: name as an anchored regex over `name`, newest first (`sort({_id: -1})`): the regex cannot bound an
 *           index walk on the embedded database, so it walks members until a page of matches is found.
 *   after:  name as a string range on the normalized `nameKey`, in (nameKey, _id) order on its index, so the walk
 *           starts at the prefix and stops after a page; card and phone are equality look-ups on their indexes.
 * Timed at the service (the page's queries plus each member's card view) and over HTTP for the route.
 * Run: npx tsx scripts/bench/member-search.ts   (100,000 members load in about a minute on the embedded database)
 *   BENCH_SMALL=10000 BENCH_LARGE=100000 BENCH_REPEAT=30 to change the sizes.
 */
import http from 'node:http';
import { cardNoFromBody, nameKeyOf } from '@membercard/shared';
import { Types } from 'mongoose';
import type { Actor } from '../../server/src/lib/requestContext';
import type { MemberDoc } from '../../server/src/modules/members/model';
import type { Services } from '../../server/src/services';
import { fmt, startBenchApp, type BenchApp } from './support';

const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 30);
const PAGE = 20;

// Names drawn as a population would have them: a few surnames very common (王 and 李 about 7% each).
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗'];
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉晓雨一鸣思琪子涵浩宇欣怡梓轩';

function nameOf(i: number): string {
  const r = Math.abs((Math.sin(i * 12.9898) * 43758.5453) % 1); // deterministic, uniform enough
  const surname = SURNAMES[Math.floor(r * r * SURNAMES.length)]!; // skewed: the first surnames are the common ones
  const a = GIVEN[(i * 7) % GIVEN.length]!;
  const b = GIVEN[(i * 13 + 5) % GIVEN.length]!;
  return i % 3 === 0 ? surname + a : surname + a + b;
}

// The most common two-character name start, and a full name seen once, among the small base's names.
const { COMMON_PREFIX, RARE_NAME } = (() => {
  const prefixes = new Map<string, number>();
  const names = new Map<string, number>();
  for (let i = 0; i < SMALL; i++) {
    const name = nameOf(i);
    prefixes.set(name.slice(0, 2), (prefixes.get(name.slice(0, 2)) ?? 0) + 1);
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const common = [...prefixes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const rare = [...names.entries()].find(([name, n]) => n === 1 && name.length === 3)![0];
  return { COMMON_PREFIX: common, RARE_NAME: rare };
})();

async function load(services: Services, count: number): Promise<void> {
  const now = new Date();
  const chunk = 5_000;
  for (let start = 0; start < count; start += chunk) {
    const docs = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const name = nameOf(i);
      docs.push({
        _id: new Types.ObjectId(), status: 'active', openid: null, cardNo: cardNoFromBody(String(30_000_000_000 + i)), homeStoreId: i % 2 ? 'BJ01' : 'SH01',
        name, nameKey: nameKeyOf(name), phone: `13${String(100_000_000 + i * 7)}`.slice(0, 11), profileComplete: false, tier: 'silver',
        pointsBalance: 0, spend12mFen: 0, lastPurchaseAt: null, tags: [], joinedAt: now, createdAt: now,
      });
    }
    await services.models.members.collection.insertMany(docs);
  }
}

/** The query the search sent before this change (members/service.ts `search`), kept here to measure against. */
function filterBefore(q: string): Record<string, unknown> {
  const filter: Record<string, unknown> = { status: 'active' };
  const term = q.trim();
  if (/^\d{12}$/.test(term)) filter.cardNo = term;
  else if (/^\+?\d{5,20}$/.test(term)) filter.phone = term.replace(/^\+86/, '');
  else filter.name = { $regex: `^${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` };
  return filter;
}

const hq: Actor = { type: 'admin', staffId: 'bench', role: 'hq', hqRole: 'admin', sessionId: 'bench' };

/** A page's query before (regex, newest first) and after (the list's compiled filter and its sort). */
async function queryBefore(services: Services, q: string) {
  return services.models.members.find(filterBefore(q)).sort({ _id: -1 }).limit(PAGE + 1).lean();
}
async function queryAfter(services: Services, q: string) {
  const filter = services.membersAdmin.compileFilter(hq, { q });
  const found = services.models.members.find(filter).limit(PAGE + 1);
  if (typeof filter.nameKey === 'object') found.sort({ nameKey: 1, _id: 1 }); // card and phone: equality, no sort (as the list reads them)
  return found.lean();
}

function get(app: BenchApp, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${app.origin}/api/v1${path}`, { agent: app.agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Medians of `work` on the small and the large base, timed in alternation so the machine's other load falls on both alike. */
async function medians(small: () => Promise<unknown>, large: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) await Promise.all([small(), large()]); // warm-up
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < REPEAT; i++) {
    for (const [slot, work] of [small, large].entries()) {
      const started = performance.now();
      await work();
      times[slot]!.push(performance.now() - started);
    }
  }
  const mid = (list: number[]) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  return [mid(times[0]), mid(times[1])];
}

type Kind = 'card number' | 'phone' | 'name, common prefix' | 'name, rare prefix' | 'name, one character';

interface Base {
  app: BenchApp;
  token: string;
  terms: Record<Kind, string>;
  matches: Record<Kind, number>;
}

async function setUp(count: number): Promise<Base> {
  const app = await startBenchApp(`bench_search_${count}`, 4);
  const loadStarted = performance.now();
  await load(app.services, count);
  console.log(`  ${fmt(count)} members loaded in ${fmt((performance.now() - loadStarted) / 1000, 1)} s`);
  const login = await fetch(`${app.origin}/api/v1/auth/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'hq', password: 'hq-demo-pass' }) });
  const { token } = (await login.json()) as { token: string };
  const probe = await app.services.models.members.findOne({ name: { $type: 'string' } }).skip(Math.floor(count / 2)).lean<MemberDoc>();
  const terms: Record<Kind, string> = {
    'card number': probe!.cardNo!,
    phone: probe!.phone!,
    'name, common prefix': COMMON_PREFIX,
    'name, rare prefix': RARE_NAME,
    'name, one character': COMMON_PREFIX.slice(0, 1),
  };
  const matches = {} as Record<Kind, number>;
  for (const [kind, q] of Object.entries(terms) as Array<[Kind, string]>) {
    matches[kind] = await app.services.models.members.countDocuments(app.services.membersAdmin.compileFilter(hq, { q }));
  }
  return { app, token, terms, matches };
}

async function main() {
  console.log(`member search, median of ${REPEAT} (a page of ${PAGE}), embedded database, one process; small and large timed in alternation`);
  const small = await setUp(SMALL);
  const large = await setUp(LARGE);
  try {
    console.log('');
    console.log(`${'search'.padEnd(24)}${'matches'.padStart(16)}  ${'before (page query)'.padStart(28)}  ${'after (page query)'.padStart(28)}  ${'after (HTTP route, with total)'.padStart(30)}`);
    for (const kind of Object.keys(small.terms) as Kind[]) {
      const [s, l] = [small, large];
      const before = await medians(() => queryBefore(s.app.services, s.terms[kind]), () => queryBefore(l.app.services, l.terms[kind]));
      const after = await medians(() => queryAfter(s.app.services, s.terms[kind]), () => queryAfter(l.app.services, l.terms[kind]));
      // The same page size at both sizes (the route builds each listed member's card view): at most what the small base finds.
      const limit = Math.max(1, Math.min(PAGE, s.matches[kind]));
      const route = (b: Base) => () => get(b.app, `/admin/members?q=${encodeURIComponent(b.terms[kind])}&limit=${limit}`, b.token);
      const http = await medians(route(s), route(l));
      const cell = ([a, b]: [number, number]) => `${fmt(a, 1)} → ${fmt(b, 1)} ms (${fmt(b / a, 2)}×)`.padStart(28);
      console.log(`${kind.padEnd(24)}${`${fmt(s.matches[kind])} / ${fmt(l.matches[kind])}`.padStart(16)}  ${cell(before)}  ${cell(after)}  ${cell(http).padStart(30)}`);
    }
  } finally {
    await small.app.close();
    await large.app.close();
  }
  console.log(`\nsizes ${fmt(SMALL)} → ${fmt(LARGE)} members; (×) is large / small: flat is near 1.`);
  console.log('The route is asked for the same page size at both sizes (each listed member\'s card view costs 2 queries): at most what the');
  console.log('small base finds, so 1 for the rare name. A search counts its total up to 1,000 matches.');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
