import { templateIds } from '@membercard/shared';
import { Types } from 'mongoose';
import { JOBS } from '../src/jobs/registry';
import { inTransaction } from '../src/lib/transactions';
import { RETRY_DELAYS_MS } from '../src/modules/messaging/service';
import { DEMO_SUBSCRIBE_TEMPLATES } from '../src/modules/messaging/templates';
import { chargeMessageKey } from '../src/modules/stored-value/charges';
import { joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';
import { memberCode, orderNo } from './points-helpers';

// The 储值消费通知 of a stored-value charge is recorded in the charge's own transaction (the messaging module's
// queued row, its outbox entry) and sent after the commit. When the process stops right after the commit the
// subscribe-retries job sends it, and when WeChat refuses the first call (-1 busy) the job sends it after the
// backoff: in both cases exactly one message reaches the member however many job runs race for it.

const TEMPLATE_ID = templateIds(DEMO_SUBSCRIBE_TEMPLATES).storedValueCharge;
const retriesJob = JOBS.find((job) => job.name === 'subscribe-retries')!;

let app: TestApp;
let clerk: string;

beforeAll(async () => {
  app = await startTestApp();
  clerk = await staffToken(app.api, 'sh01-clerk');
}, 30_000);
afterAll(async () => {
  await app.stop();
});

/** A member holding ¥1,000 of stored value who granted one 储值消费通知. */
async function subscribedMember(name: string) {
  const { token, member } = await joinedMember(app.api, name);
  await inTransaction(app.connection, undefined, (session) =>
    app.services.storedValueLedger.apply(session, { memberId: member.id, kind: 'topup', principalDelta: 100_000, bonusDelta: 0, reason: '充值（测试）', idempotencyKey: `test-topup:${member.id}`, actor: 'system' }),
  );
  expect((await app.api.post('/me/subscriptions', { accepted: [TEMPLATE_ID] }, token)).status).toBe(204);
  return { token, memberId: member.id as string };
}

async function charge(token: string, amountFen: number): Promise<string> {
  const panel = await app.api.post('/staff/counter/panel', { code: await memberCode(app.api, token) }, clerk);
  expect(panel.status).toBe(200);
  const res = await app.api.post('/staff/counter/stored-value/charges', { ticket: panel.body.ticket, orderNo: orderNo('SVM'), orderTotalFen: amountFen, amountFen }, clerk);
  expect(res.status).toBe(201);
  return res.body.chargeId;
}

const messagesTo = async (name: string) => (await app.api.get(`/__emulator/messages?openid=emu_${name}`)).body.messages as Array<Record<string, any>>;
const record = (chargeId: string) => app.services.models.subscribeMessages.findById(chargeMessageKey(new Types.ObjectId(chargeId))).lean();
const raceJob = async (runs: number) => (await Promise.all(Array.from({ length: runs }, () => retriesJob.run(app.services)))).reduce((sum, r) => sum + r.processed, 0);

it('given the process stops right after the charge commits, then the job sends its message, once, however many runs race', async () => {
  const { token } = await subscribedMember('svm-stop');
  const { afterCommit } = app.services.storedValueCharges.chargeHooks;
  app.services.storedValueCharges.chargeHooks.afterCommit = async () => undefined; // as if the process died here
  let chargeId: string;
  try {
    chargeId = await charge(token, 12_345);
  } finally {
    app.services.storedValueCharges.chargeHooks.afterCommit = afterCommit;
  }
  // Committed with the charge, nothing sent yet.
  expect(await record(chargeId)).toMatchObject({ status: 'queued', attempts: 0, purpose: 'storedValueCharge' });
  expect(await messagesTo('svm-stop')).toHaveLength(0);

  expect(await raceJob(3)).toBe(1);
  expect(await raceJob(2)).toBe(0);
  const sent = await messagesTo('svm-stop');
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ template_id: TEMPLATE_ID, page: 'pages/stored-value-pay/index', data: { thing1: { value: '上海静安店' }, amount2: { value: '¥123.45' }, amount3: { value: '¥876.55' } } });
  expect(await record(chargeId)).toMatchObject({ status: 'sent', attempts: 1, nextAttemptAt: null, msgid: sent[0]!.msgid });
}, 30_000);

it('given WeChat is busy (-1) when the charge’s message is first sent, then the job sends it after the backoff, once', async () => {
  const { token, memberId } = await subscribedMember('svm-busy');
  expect((await app.api.post('/__emulator/subscribe-send-failures', { errcodes: [-1] })).status).toBe(204);
  const chargeId = await charge(token, 5_000);
  const deadline = Date.now() + 5_000;
  while ((await record(chargeId))?.status !== 'retrying' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await record(chargeId)).toMatchObject({ status: 'retrying', attempts: 1, reason: 'errcode_-1' });
  expect(await app.services.messaging.quota(new Types.ObjectId(memberId), 'storedValueCharge')).toBe(0); // held for the retry

  expect(await raceJob(1)).toBe(0); // not due yet
  app.clock.advance(RETRY_DELAYS_MS[0]! + 1_000);
  expect(await raceJob(3)).toBe(1);
  expect(await messagesTo('svm-busy')).toEqual([expect.objectContaining({ template_id: TEMPLATE_ID, data: expect.objectContaining({ amount2: { value: '¥50.00' }, amount3: { value: '¥950.00' } }) })]);
  expect(await record(chargeId)).toMatchObject({ status: 'sent', attempts: 2 });
}, 30_000);

it('a member who granted no message gets none: the queued record is skipped by the kick, and the job finds nothing', async () => {
  const { token, member } = await joinedMember(app.api, 'svm-none');
  await inTransaction(app.connection, undefined, (session) =>
    app.services.storedValueLedger.apply(session, { memberId: member.id, kind: 'topup', principalDelta: 10_000, bonusDelta: 0, reason: '充值（测试）', idempotencyKey: `test-topup:${member.id}`, actor: 'system' }),
  );
  const chargeId = await charge(token, 1_000);
  const deadline = Date.now() + 5_000;
  while ((await record(chargeId))?.status === 'queued' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await record(chargeId)).toMatchObject({ status: 'skipped', reason: 'no_quota' });
  expect(await raceJob(2)).toBe(0);
  expect(await messagesTo('svm-none')).toHaveLength(0);
}, 30_000);
