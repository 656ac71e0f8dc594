import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_BACKOFF_SECONDS } from '../src/modules/webhooks/service';
import { memberCode, orderNo, purchase } from './points-helpers';
import { adminToken, joinedMember, staffToken, startTestApp, type TestApp } from './support/harness';

// Outbound webhooks against a real local HTTP receiver: signatures checked with the secret as a receiver would,
// retries moved along with the harness clock, per-member order, redelivery and racing job runs.

interface Received {
  eventId: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A receiver whose answer each test decides; it records every request it gets, in arrival order. */
async function startReceiver(answer: (r: Received, index: number) => number | Promise<number>) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        eventId: String(req.headers['x-membercard-event-id']),
        timestamp: String(req.headers['x-membercard-timestamp']),
        signature: String(req.headers['x-membercard-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      void Promise.resolve(answer(r, received.length - 1)).then((status) => {
        res.statusCode = status;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What a receiver does with the secret it was shown once (README: Webhooks). */
function signatureValid(secret: string, r: Received): boolean {
  const expected = createHmac('sha256', secret).update(`${r.timestamp}.${r.body}`).digest();
  const given = Buffer.from(r.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(expected, given);
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('outbound webhooks', () => {
  let app: TestApp;
  let admin: string;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminToken(app.api);
  }, 60_000); // starting and seeding takes longer than jest's 5 s on two busy cores
  afterAll(async () => {
    await app.stop();
  });

  async function createEndpoint(url: string, events: string[]) {
    const res = await app.api.post('/admin/webhooks/endpoints', { url, events, description: '测试接收端' }, admin);
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    return res.body as { id: string; secret: string };
  }

  async function deliveriesOf(endpointId: string) {
    const res = await app.api.get(`/admin/webhooks/deliveries?endpointId=${endpointId}`, admin);
    expect(res.status).toBe(200);
    return res.body.items as Array<{ id: string; eventId: string; status: string; attempts: Array<{ n: number; ok: boolean; httpStatus: number | null }> }>;
  }

  it('retries a receiver that fails three times: one delivery acknowledged, four attempts logged, one event id, each signed', async () => {
    const receiver = await startReceiver((_r, i) => (i < 3 ? 500 : 200));
    try {
      const endpoint = await createEndpoint(receiver.url, ['member.joined']);
      // The secret is never shown again.
      const listed = await app.api.get('/admin/webhooks/endpoints', admin);
      expect(listed.body.items.find((e: { id: string }) => e.id === endpoint.id)).not.toHaveProperty('secret');

      const { member } = await joinedMember(app.api, 'wh-retry');
      await until(() => receiver.received.length === 1, 'the first attempt (kicked after commit)');
      for (let attempt = 1; attempt <= 3; attempt++) {
        // Not yet due: a run sends nothing.
        await app.services.webhooks.runDue();
        expect(receiver.received).toHaveLength(attempt);
        app.clock.advance(WEBHOOK_BACKOFF_SECONDS[attempt - 1]! * 1000 + 1000);
        await app.services.webhooks.runDue();
        expect(receiver.received).toHaveLength(attempt + 1);
      }

      const [delivery, ...others] = await deliveriesOf(endpoint.id);
      expect(others).toHaveLength(0);
      expect(delivery!.status).toBe('delivered');
      expect(delivery!.attempts.map((a) => [a.n, a.ok, a.httpStatus])).toEqual([[1, false, 500], [2, false, 500], [3, false, 500], [4, true, 200]]);

      const payloads = receiver.received.map((r) => JSON.parse(r.body));
      expect(new Set(receiver.received.map((r) => r.eventId))).toEqual(new Set([delivery!.eventId]));
      expect(payloads.every((p) => p.id === delivery!.eventId && p.type === 'member.joined' && p.memberId === member.id)).toBe(true);
      expect(receiver.received.every((r) => signatureValid(endpoint.secret, r))).toBe(true);
      // A receiver with a wrong secret, or a tampered body, would refuse it.
      expect(signatureValid(endpoint.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), receiver.received[0]!)).toBe(false);
      expect(signatureValid(endpoint.secret, { ...receiver.received[0]!, body: receiver.received[0]!.body.replace('member.joined', 'member.joinex') })).toBe(false);
      // Acknowledged once: what a de-duplicating receiver keeps is one event.
      const acknowledged = receiver.received.filter((_r, i) => i >= 3);
      expect(acknowledged).toHaveLength(1);

      // The redeliver action sends the same event id again, logged as a fifth attempt.
      const again = await app.api.post(`/admin/webhooks/deliveries/${delivery!.id}/redelivery`, {}, admin);
      expect(again.status).toBe(200);
      await until(() => receiver.received.length === 5, 'the redelivery');
      expect(receiver.received[4]!.eventId).toBe(delivery!.eventId);
      expect(receiver.received[4]!.body).toBe(receiver.received[0]!.body);
      await until(async () => (await deliveriesOf(endpoint.id))[0]!.attempts.length === 5, 'the redelivery logged');
      expect((await deliveriesOf(endpoint.id))[0]!.status).toBe('delivered');

      await app.api.patch(`/admin/webhooks/endpoints/${endpoint.id}`, { status: 'disabled' }, admin);
    } finally {
      await receiver.close();
    }
  });

  it('delivers one member’s events in order: a later event waits while an earlier one is being retried', async () => {
    let failing = true;
    const receiver = await startReceiver(() => (failing ? 503 : 200));
    try {
      // Joined first, so its welcome points (if any) go to nobody: the endpoint sees the two adjustments only.
      const { member } = await joinedMember(app.api, 'wh-order');
      const endpoint = await createEndpoint(receiver.url, ['points.changed']);
      const adjust = (delta: number, key: string) =>
        app.api.post(`/admin/members/${member.id}/points-adjustments`, { delta, reason: '测试' }, admin, { 'Idempotency-Key': key });
      expect((await adjust(100, 'wh-order-1')).status).toBe(201);
      await until(() => receiver.received.length >= 1, 'the first event’s attempt');
      expect((await adjust(-30, 'wh-order-2')).status).toBe(201);
      const points = async () => (await deliveriesOf(endpoint.id)).filter((d) => d.status !== 'failed');
      await until(async () => (await points()).length >= 2, 'both events recorded');
      await app.services.webhooks.runDue();
      await app.services.webhooks.runDue();
      // Only the first event has been tried, however often the job runs.
      const firstEventId = receiver.received[0]!.eventId;
      expect(new Set(receiver.received.map((r) => r.eventId))).toEqual(new Set([firstEventId]));

      failing = false;
      app.clock.advance(WEBHOOK_BACKOFF_SECONDS[0]! * 1000 + 1000);
      await app.services.webhooks.runDue();
      await until(() => new Set(receiver.received.map((r) => r.eventId)).size === 2, 'the second event');
      const order = receiver.received.map((r) => JSON.parse(r.body) as { id: string; data: { delta: number } });
      const firstSecondEvent = order.findIndex((p) => p.id !== firstEventId);
      // Every attempt of the first event came before the second event's first attempt.
      expect(order.slice(0, firstSecondEvent).every((p) => p.id === firstEventId && p.data.delta === 100)).toBe(true);
      expect(order.slice(firstSecondEvent).every((p) => p.data.delta === -30)).toBe(true);
      await app.api.patch(`/admin/webhooks/endpoints/${endpoint.id}`, { status: 'disabled' }, admin);
    } finally {
      await receiver.close();
    }
  });

  it('never sends one attempt twice when job runs race', async () => {
    // Slow answers keep each attempt in flight while the other runs look for due work.
    const receiver = await startReceiver(async (_r, i) => {
      await new Promise((r) => setTimeout(r, 200));
      return i === 0 ? 500 : 200;
    });
    try {
      const endpoint = await createEndpoint(receiver.url, ['member.joined']);
      await joinedMember(app.api, 'wh-race');
      await until(async () => (await deliveriesOf(endpoint.id))[0]?.attempts.length === 1, 'the first attempt logged');
      app.clock.advance(WEBHOOK_BACKOFF_SECONDS[0]! * 1000 + 1000);
      await Promise.all([app.services.webhooks.runDue(), app.services.webhooks.runDue(), app.services.webhooks.runDue(), app.services.webhooks.runDue()]);
      expect(receiver.received).toHaveLength(2);
      const [delivery] = await deliveriesOf(endpoint.id);
      expect(delivery!.attempts.map((a) => a.n)).toEqual([1, 2]);
      expect(delivery!.status).toBe('delivered');
      await app.api.patch(`/admin/webhooks/endpoints/${endpoint.id}`, { status: 'disabled' }, admin);
    } finally {
      await receiver.close();
    }
  });

  it('records a purchase’s points and order events in its own transaction, once for parallel repeats of the order, and in that order', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const { token, member } = await joinedMember(app.api, 'wh-purchase');
      const endpoint = await createEndpoint(receiver.url, ['points.changed', 'order.recorded']);
      const clerk = await staffToken(app.api, 'sh01-clerk');
      const no = orderNo('WH');
      const code = await memberCode(app.api, token);
      const answers = await Promise.all(Array.from({ length: 8 }, () => purchase(app.api, clerk, { memberCode: code, orderNo: no, amountFen: 12_345 })));
      expect(answers.every((r) => r.status < 300)).toBe(true);
      await until(() => receiver.received.length === 2, 'both events');
      const events = receiver.received.map((r) => JSON.parse(r.body) as { type: string; memberId: string; data: Record<string, unknown> });
      expect(events.map((e) => e.type)).toEqual(['points.changed', 'order.recorded']);
      expect(events.every((e) => e.memberId === member.id)).toBe(true);
      expect(events[1]!.data).toMatchObject({ orderNo: no, amountFen: 12_345, storeId: 'SH01' });
      expect(events[0]!.data.delta).toBe(events[1]!.data.pointsEarned);
      const stored = await app.services.models.webhookDeliveries.find({ endpointId: endpoint.id }).sort({ memberSeq: 1 }).lean();
      expect(stored.map((d) => d.eventType)).toEqual(['points.changed', 'order.recorded']);
      expect(stored[0]!.memberSeq).toBeLessThan(stored[1]!.memberSeq);
      await app.api.patch(`/admin/webhooks/endpoints/${endpoint.id}`, { status: 'disabled' }, admin);
    } finally {
      await receiver.close();
    }
  });

  it('records nothing for events no endpoint subscribes to, refuses bad input with codes, and lets only HQ admins manage', async () => {
    const before = await app.services.models.webhookDeliveries.countDocuments();
    await joinedMember(app.api, 'wh-nobody'); // every endpoint above is disabled now
    expect(await app.services.models.webhookDeliveries.countDocuments()).toBe(before);

    for (const body of [{ url: 'ftp://example.com/x', events: ['member.joined'] }, { url: 'https://example.com/x', events: [] }, { url: 'https://example.com/x', events: ['member.left'] }, { url: 'not a url', events: ['order.recorded'] }]) {
      const res = await app.api.post('/admin/webhooks/endpoints', body, admin);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await app.api.post('/admin/webhooks/deliveries/0123456789abcdef01234567/redelivery', {}, admin)).status).toBe(404);
    expect((await app.api.patch('/admin/webhooks/endpoints/whe_0123456789abcdef', { status: 'disabled' }, admin)).status).toBe(404);

    const marketing = (await app.api.post('/auth/admin', { username: 'hq-marketing', password: 'marketing-demo-pass' })).body.token as string;
    expect((await app.api.post('/admin/webhooks/endpoints', { url: 'https://example.com/x', events: ['member.joined'] }, marketing)).status).toBe(403);
    expect((await app.api.get('/admin/webhooks/deliveries', marketing)).status).toBe(200);
    expect((await app.api.get('/admin/webhooks/endpoints')).status).toBe(401);
  });
});
