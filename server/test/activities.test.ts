import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

let app: TestApp;
let hq: string;
beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
});
afterAll(async () => {
  await app.stop();
});

const HOUR = 3600_000;

function activityBody(overrides: Record<string, unknown> = {}) {
  const now = app.clock.now().getTime();
  return {
    title: '咖啡品鉴会',
    description: '三款单品豆',
    storeId: 'SH01',
    signupClosesAt: new Date(now + 24 * HOUR).toISOString(),
    startAt: new Date(now + 48 * HOUR).toISOString(),
    endAt: new Date(now + 50 * HOUR).toISOString(),
    capacity: 3,
    feeFen: 0,
    attendancePoints: 50,
    ...overrides,
  };
}

async function createActivity(overrides: Record<string, unknown> = {}, token = hq) {
  const res = await app.api.post('/admin/activities', activityBody(overrides), token);
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string; capacity: number };
}

describe('activities: HQ and managers', () => {
  it('HQ creates (published at once), edits and lists; a draft is invisible until published', async () => {
    const created = await createActivity({ title: '手冲咖啡课', coverImageUrl: 'https://example.com/cover.jpg' });
    expect(created).toMatchObject({ status: 'published', confirmedCount: 0, waitlistCount: 0, seatsLeft: 3 });
    expect((await app.api.get(`/activities/${created.id}`)).body).toMatchObject({ title: '手冲咖啡课', confirmedCount: 0 });

    const edited = await app.api.patch(`/admin/activities/${created.id}`, { title: '手冲咖啡进阶课', capacity: 5 }, hq);
    expect(edited.body).toMatchObject({ title: '手冲咖啡进阶课', capacity: 5, seatsLeft: 5 });
    const badTimes = await app.api.patch(`/admin/activities/${created.id}`, { endAt: edited.body.startAt }, hq);
    expect(badTimes.status).toBe(400);
    expect(badTimes.body.error.details.fields[0].field).toBe('body.endAt');

    const draft = await createActivity({ draft: true });
    expect(draft.status).toBe('draft');
    expect((await app.api.get(`/activities/${draft.id}`)).status).toBe(404);
    const publicIds = (await app.api.get('/activities?limit=100')).body.items.map((a: { id: string }) => a.id);
    expect(publicIds).toContain(created.id);
    expect(publicIds).not.toContain(draft.id);
    expect((await app.api.post(`/admin/activities/${draft.id}/publish`, undefined, hq)).body.status).toBe('published');
    expect((await app.api.post(`/admin/activities/${draft.id}/publish`, undefined, hq)).status).toBe(409);
    expect((await app.api.get(`/activities/${draft.id}`)).status).toBe(200);

    const listed = await app.api.get('/admin/activities?limit=1', hq);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.nextCursor).toEqual(expect.any(String));
    const audit = await app.services.models.audit.find({ targetId: created.id }).lean();
    expect(audit.map((entry) => entry.action).sort()).toEqual(['activity.create', 'activity.update']);
  });

  it('a manager acts for their own store only; clerks and members may not manage activities', async () => {
    const manager = await staffToken(app.api, 'sh01-manager');
    const own = await app.api.post('/admin/activities', activityBody({ storeId: undefined }), manager);
    expect(own.status).toBe(201);
    expect(own.body.storeId).toBe('SH01');
    expect((await app.api.post('/admin/activities', activityBody({ storeId: 'BJ01' }), manager)).status).toBe(403);
    const bj = await createActivity({ storeId: 'BJ01' });
    expect((await app.api.get(`/admin/activities/${bj.id}`, manager)).status).toBe(403);
    expect((await app.api.post(`/admin/activities/${bj.id}/cancel`, undefined, manager)).status).toBe(403);
    const managerList = await app.api.get('/admin/activities?limit=100', manager);
    expect(managerList.body.items.every((a: { storeId: string }) => a.storeId === 'SH01')).toBe(true);

    const clerk = await staffToken(app.api, 'sh01-clerk');
    expect((await app.api.post('/admin/activities', activityBody(), clerk)).status).toBe(403);
    const { token } = await joinedMember(app.api, 'act-nosy');
    expect((await app.api.get('/admin/activities', token)).status).toBe(403);
    expect((await app.api.post('/admin/activities', activityBody(), undefined)).status).toBe(401);
  });

  it('refuses bad input with 400 naming the fields', async () => {
    const res = await app.api.post('/admin/activities', activityBody({ capacity: 0, feeFen: 9.5, extra: 1 }), hq);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect((await app.api.post('/admin/activities', activityBody({ storeId: 'XX99' }), hq)).status).toBe(400);
    expect((await app.api.get('/admin/activities/not-an-id', hq)).status).toBe(400);
    expect((await app.api.get('/activities/0123456789abcdef01234567')).status).toBe(404);
  });

  it('keeps cover image, address and map coordinates, shows them to shoppers, and refuses bad ones', async () => {
    const venue = {
      coverImageUrl: 'https://cdn.example.com/activities/coffee.jpg',
      address: '上海市静安区南京西路 1266 号 3 楼',
      location: { latitude: 31.2304, longitude: 121.4581 },
    };
    const created = await createActivity(venue);
    const shown = await app.api.get(`/activities/${created.id}`);
    expect(shown.body).toMatchObject(venue);
    const moved = await app.api.patch(`/admin/activities/${created.id}`, { address: '上海市徐汇区淮海中路 999 号', location: { latitude: 31.21, longitude: 121.44 } }, hq);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ address: '上海市徐汇区淮海中路 999 号', location: { latitude: 31.21, longitude: 121.44 }, coverImageUrl: venue.coverImageUrl });
    const bad = await app.api.post('/admin/activities', activityBody({ location: { latitude: 91, longitude: 0 }, coverImageUrl: 'not a url', address: '' }), hq);
    expect(bad.status).toBe(400);
    const fields = (bad.body.error.details.fields as Array<{ field: string }>).map((f) => f.field).sort();
    expect(fields).toEqual(['body.address', 'body.coverImageUrl', 'body.location.latitude']);
  });
});

describe('sign-ups: exact capacity, waitlist, cancellation', () => {
  it('8 parallel sign-ups for 3 seats → 3 confirmed and 5 waitlisted in order; repeats are 409', async () => {
    const activity = await createActivity({ capacity: 3 });
    const members = await Promise.all(Array.from({ length: 8 }, (_, i) => joinedMember(app.api, `cap-${i}`)));
    const answers = await Promise.all(members.map((m) => app.api.post(`/activities/${activity.id}/signups`, {}, m.token)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    const confirmed = answers.filter((a) => a.body.status === 'confirmed');
    const waitlisted = answers.filter((a) => a.body.status === 'waitlisted');
    expect(confirmed).toHaveLength(3);
    expect(waitlisted).toHaveLength(5);
    expect(waitlisted.map((a) => a.body.waitlistPosition).sort()).toEqual([1, 2, 3, 4, 5]);

    const view = await app.api.get(`/activities/${activity.id}`);
    expect(view.body).toMatchObject({ confirmedCount: 3, waitlistCount: 5, seatsLeft: 0 });

    // Arrival order: the admin list is in sign-up order, the waitlist numbered as it is listed.
    const listed = await app.api.get(`/admin/activities/${activity.id}/signups?limit=100`, hq);
    const statuses: string[] = listed.body.items.map((s: { status: string }) => s.status);
    expect(statuses.slice(0, 3)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    expect(listed.body.items.slice(3).map((s: { waitlistPosition: number }) => s.waitlistPosition)).toEqual([1, 2, 3, 4, 5]);
    const paged = await app.api.get(`/admin/activities/${activity.id}/signups?limit=5&status=waitlisted`, hq);
    expect(paged.body.items).toHaveLength(5);

    const again = await Promise.all([0, 1].map(() => app.api.post(`/activities/${activity.id}/signups`, {}, members[0]!.token)));
    expect(again.map((a) => a.body.error.code)).toEqual(['ALREADY_SIGNED_UP', 'ALREADY_SIGNED_UP']);
    expect(await app.services.models.signups.countDocuments({ activityId: activity.id })).toBe(8);
  });

  it('cancelling a confirmed seat promotes the first on the waitlist; a cancelled member may sign up again', async () => {
    const activity = await createActivity({ capacity: 1 });
    const [a, b, c] = await Promise.all(['pro-a', 'pro-b', 'pro-c'].map((n) => joinedMember(app.api, n)));
    expect((await app.api.post(`/activities/${activity.id}/signups`, {}, a!.token)).body.status).toBe('confirmed');
    expect((await app.api.post(`/activities/${activity.id}/signups`, {}, b!.token)).body).toMatchObject({ status: 'waitlisted', waitlistPosition: 1 });
    expect((await app.api.post(`/activities/${activity.id}/signups`, {}, c!.token)).body).toMatchObject({ status: 'waitlisted', waitlistPosition: 2 });

    const cancelled = await app.api.delete(`/activities/${activity.id}/signups/me`, a!.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const bSignups = (await app.api.get('/me/signups', b!.token)).body.items;
    expect(bSignups[0]).toMatchObject({ activityId: activity.id, status: 'confirmed' });
    expect((await app.api.get('/me/signups', c!.token)).body.items[0]).toMatchObject({ status: 'waitlisted', waitlistPosition: 1 });
    expect((await app.api.get(`/activities/${activity.id}`)).body).toMatchObject({ confirmedCount: 1, waitlistCount: 1, seatsLeft: 0 });
    expect(await app.services.models.signupNotifications.countDocuments({ activityId: activity.id, kind: 'waitlist_promoted' })).toBe(1);

    expect((await app.api.delete(`/activities/${activity.id}/signups/me`, a!.token)).status).toBe(404);
    const again = await app.api.post(`/activities/${activity.id}/signups`, {}, a!.token);
    expect(again.body).toMatchObject({ status: 'waitlisted', waitlistPosition: 2 });
  });

  it('refuses other tiers (422 TIER_NOT_ELIGIBLE), closed windows (422 SIGNUP_CLOSED) and non-members (403)', async () => {
    const { token } = await joinedMember(app.api, 'tier-silver');
    const goldOnly = await createActivity({ tiers: ['gold', 'platinum'] });
    const refused = await app.api.post(`/activities/${goldOnly.id}/signups`, {}, token);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('TIER_NOT_ELIGIBLE');

    const now = app.clock.now().getTime();
    const closed = await createActivity({ signupClosesAt: new Date(now - HOUR).toISOString() });
    const late = await app.api.post(`/activities/${closed.id}/signups`, {}, token);
    expect([late.status, late.body.error.code]).toEqual([422, 'SIGNUP_CLOSED']);
    expect((await app.api.delete(`/activities/${closed.id}/signups/me`, token)).body.error.code).toBe('SIGNUP_CLOSED');

    const prospect = await app.api.post('/auth/wechat', { code: 'act-prospect' });
    const notMember = await app.api.post(`/activities/${goldOnly.id}/signups`, {}, prospect.body.token);
    expect([notMember.status, notMember.body.error.code]).toEqual([403, 'NOT_A_MEMBER']);
    expect((await app.api.post(`/activities/${goldOnly.id}/signups`, { seats: 2 }, token)).status).toBe(400);
  });

  it("a member never sees or cancels another member's sign-up", async () => {
    const activity = await createActivity();
    const owner = await joinedMember(app.api, 'own-a');
    const other = await joinedMember(app.api, 'own-b');
    const signup = (await app.api.post(`/activities/${activity.id}/signups`, {}, owner.token)).body;
    expect((await app.api.get(`/me/signups/${signup.id}/code`, other.token)).status).toBe(404);
    expect((await app.api.get('/me/signups', other.token)).body.items).toEqual([]);
    expect((await app.api.delete(`/activities/${activity.id}/signups/me`, other.token)).status).toBe(404);
    expect((await app.api.get('/me/signups', owner.token)).body.items[0]).toMatchObject({ id: signup.id, status: 'confirmed' });
  });
});

describe('check-in', () => {
  it('marks attended once and awards attendance points once, even for parallel scans; other stores get 403', async () => {
    // Starting within the hour, so check-in (open from 2 h before the start) is open.
    const now = app.clock.now().getTime();
    const soon = { signupClosesAt: new Date(now + HOUR / 2).toISOString(), startAt: new Date(now + HOUR).toISOString(), endAt: new Date(now + 3 * HOUR).toISOString() };
    const activity = await createActivity({ attendancePoints: 80, ...soon });
    const { token, member } = await joinedMember(app.api, 'checkin-a');
    const signup = (await app.api.post(`/activities/${activity.id}/signups`, {}, token)).body;
    const code = (await app.api.get(`/me/signups/${signup.id}/code`, token)).body;
    expect(code.code).toMatch(new RegExp(`^S${signup.id}\\d{8}$`));

    const bjClerk = await staffToken(app.api, 'bj01-clerk');
    expect((await app.api.post('/staff/checkins', { code: code.code }, bjClerk)).status).toBe(403);
    const scan = await app.api.post('/staff/scan', { code: code.code }, await staffToken(app.api, 'sh01-clerk'));
    expect(scan.body).toMatchObject({ type: 'signup', signup: { id: signup.id, status: 'confirmed' } });

    const clerk = await staffToken(app.api, 'sh01-clerk');
    const scans = await Promise.all([0, 1, 2].map(() => app.api.post('/staff/checkins', { code: code.code }, clerk)));
    expect(scans.map((s) => s.status).sort()).toEqual([200, 409, 409]);
    expect(scans.find((s) => s.status === 200)!.body).toMatchObject({ id: signup.id, status: 'attended' });
    expect(scans.filter((s) => s.status === 409).map((s) => s.body.error.code)).toEqual(['ALREADY_CHECKED_IN', 'ALREADY_CHECKED_IN']);

    const entries = await app.services.models.ledger.find({ memberId: member.id, source: 'attendance' }).lean();
    expect(entries.map((e) => e.delta)).toEqual([80]);
    expect((await app.api.get('/me', token)).body.pointsBalance).toBe(80);
    expect(await app.services.models.audit.countDocuments({ action: 'activity.checkin', targetId: signup.id })).toBe(1);

    expect((await app.api.post('/staff/checkins', { code: 'S0123456789abcdef0123456712345678' }, clerk)).body.error.code).toBe('CODE_INVALID');
    const memberCode = (await app.api.get('/me/member-code', token)).body.code;
    expect((await app.api.post('/staff/checkins', { code: memberCode }, clerk)).body.error.code).toBe('CODE_INVALID');
  });

  it('a waitlisted sign-up has no check-in code', async () => {
    const activity = await createActivity({ capacity: 1 });
    await app.api.post(`/activities/${activity.id}/signups`, {}, (await joinedMember(app.api, 'wl-first')).token);
    const { token } = await joinedMember(app.api, 'wl-second');
    const waitlisted = (await app.api.post(`/activities/${activity.id}/signups`, {}, token)).body;
    expect((await app.api.get(`/me/signups/${waitlisted.id}/code`, token)).status).toBe(409);
  });
});

describe('HQ cancels a free activity', () => {
  it('cancels every sign-up and records a notification per member', async () => {
    const activity = await createActivity({ capacity: 1 });
    const a = await joinedMember(app.api, 'hqc-a');
    const b = await joinedMember(app.api, 'hqc-b');
    await app.api.post(`/activities/${activity.id}/signups`, {}, a.token);
    await app.api.post(`/activities/${activity.id}/signups`, {}, b.token);
    const cancelled = await app.api.post(`/admin/activities/${activity.id}/cancel`, undefined, hq);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', confirmedCount: 0, waitlistCount: 0 });
    expect((await app.api.post(`/admin/activities/${activity.id}/cancel`, undefined, hq)).status).toBe(409);
    expect((await app.api.get('/me/signups', a.token)).body.items[0].status).toBe('cancelled');
    const notes = await app.services.models.signupNotifications.find({ activityId: activity.id, kind: 'activity_cancelled' }).lean();
    expect(notes.map((n) => String(n.memberId)).sort()).toEqual([a.member.id, b.member.id].sort());
    expect((await app.api.post(`/activities/${activity.id}/signups`, {}, a.token)).body.error.code).toBe('SIGNUP_CLOSED');
  });
});
