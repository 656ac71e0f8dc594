import { adminToken, joinedMember, staffToken, startTestApp, type ApiResponse, type TestApp } from './support/harness';
import { tokenAt } from './points-helpers';

// Check-in only inside the window around the activity (default: from 2 h before the start until its end;
// HQ sets it), refused otherwise with CHECKIN_NOT_OPEN / CHECKIN_CLOSED and no attendance points. The
// harness clock moves time; codes are fetched at the moved clock.

let app: TestApp;
let hq: string;
let clerk: string;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  app = await startTestApp();
  hq = await adminToken(app.api);
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

function expectError(res: ApiResponse, status: number, code: string): void {
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
}

/** A free activity starting `startsIn` from now (2 h long) and a confirmed sign-up for it. */
async function signedUp(nickname: string, startsIn: number) {
  const now = app.clock.now().getTime();
  const activity = await app.api.post(
    '/admin/activities',
    {
      title: '会员沙龙', description: '签到窗口', storeId: 'SH01', capacity: 5, feeFen: 0, attendancePoints: 40,
      signupClosesAt: new Date(now + startsIn - HOUR / 2).toISOString(),
      startAt: new Date(now + startsIn).toISOString(),
      endAt: new Date(now + startsIn + 2 * HOUR).toISOString(),
    },
    hq,
  );
  expect(activity.status).toBe(201);
  const { token, member } = await joinedMember(app.api, nickname);
  const signup = await app.api.post(`/activities/${activity.body.id}/signups`, {}, token);
  expect(signup.body.status).toBe('confirmed');
  // Tokens issued at the (moved) clock, so they are valid then.
  const checkIn = async () => {
    const code = (await app.api.get(`/me/signups/${signup.body.id}/code`, await tokenAt(app, { memberId: member.id }))).body.code as string;
    return app.api.post('/staff/checkins', { code }, await tokenAt(app, { username: 'sh01-clerk' }));
  };
  const attendancePoints = async () => (await app.services.models.ledger.find({ memberId: member.id, source: 'attendance' }).lean()).map((e) => e.delta);
  return { signupId: signup.body.id as string, checkIn, attendancePoints };
}

/** Moves the harness clock for the duration of `work`. */
async function at<T>(offset: number, work: () => Promise<T>): Promise<T> {
  app.clock.advance(offset);
  try {
    return await work();
  } finally {
    app.clock.advance(-offset);
  }
}

describe('check-in window', () => {
  it('ten days before the start (the issue’s case): refused CHECKIN_NOT_OPEN with when it opens, no points, still confirmed', async () => {
    const s = await signedUp('window-early', 10 * DAY);
    const refused = await s.checkIn();
    expectError(refused, 422, 'CHECKIN_NOT_OPEN');
    // The harness clock keeps running, so the answer is compared to the second.
    expect(Math.abs(new Date(refused.body.error.details.opensAt).getTime() - (app.clock.now().getTime() + 10 * DAY - 2 * HOUR))).toBeLessThan(5_000);
    expect(await s.attendancePoints()).toEqual([]);
    expect((await app.services.models.signups.findById(s.signupId).lean())!.status).toBe('confirmed');
  });

  it('one minute before the window: refused; one minute into it: checked in, points once', async () => {
    const s = await signedUp('window-edge', 3 * HOUR);
    expectError(await at(HOUR - 60_000, s.checkIn), 422, 'CHECKIN_NOT_OPEN');
    const accepted = await at(HOUR + 60_000, s.checkIn);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('attended');
    expect(await s.attendancePoints()).toEqual([40]);
  });

  it('after the end: refused CHECKIN_CLOSED; just before the end: accepted', async () => {
    const late = await signedUp('window-late', HOUR);
    expectError(await at(3 * HOUR + 60_000, late.checkIn), 422, 'CHECKIN_CLOSED');
    expect(await late.attendancePoints()).toEqual([]);
    const atEnd = await signedUp('window-at-end', HOUR);
    expect((await at(3 * HOUR - 60_000, atEnd.checkIn)).status).toBe(200);
  });

  it('HQ widens the window (audited); clerks and members may not; bad values are 400', async () => {
    expect((await app.api.get('/admin/checkin-window', hq)).body).toEqual({ opensMinutesBefore: 120, closesMinutesAfterEnd: 0 });
    expectError(await app.api.patch('/admin/checkin-window', { opensMinutesBefore: 300, closesMinutesAfterEnd: 30 }, clerk), 403, 'FORBIDDEN');
    const { token } = await joinedMember(app.api, 'window-nosy');
    expect((await app.api.patch('/admin/checkin-window', { opensMinutesBefore: 300, closesMinutesAfterEnd: 30 }, token)).status).toBe(403);
    expectError(await app.api.patch('/admin/checkin-window', { opensMinutesBefore: -1, closesMinutesAfterEnd: 0 }, hq), 400, 'VALIDATION_FAILED');
    expectError(await app.api.patch('/admin/checkin-window', { opensMinutesBefore: 60 }, hq), 400, 'VALIDATION_FAILED');

    const s = await signedUp('window-wide', 4 * HOUR);
    expectError(await s.checkIn(), 422, 'CHECKIN_NOT_OPEN');
    try {
      const set = await app.api.patch('/admin/checkin-window', { opensMinutesBefore: 300, closesMinutesAfterEnd: 30 }, hq);
      expect(set.body).toEqual({ opensMinutesBefore: 300, closesMinutesAfterEnd: 30 });
      expect(await app.services.models.audit.countDocuments({ action: 'settings.checkin_window' })).toBe(1);
      expect((await s.checkIn()).status).toBe(200);
      const after = await signedUp('window-wide-after', HOUR);
      expect((await at(3 * HOUR + 20 * 60_000, after.checkIn)).status).toBe(200);
    } finally {
      await app.api.patch('/admin/checkin-window', { opensMinutesBefore: 120, closesMinutesAfterEnd: 0 }, hq);
    }
  });
});
