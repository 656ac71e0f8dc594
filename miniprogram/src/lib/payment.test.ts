import type { Signup } from '@membercard/shared';
import { paymentSheet } from '../test/taroStub';
import { ApiError } from '../api/errors';
import { CONFIRM_BUDGET_MS, payAndConfirmSignup, paymentOutcomeText, UNCONFIRMED_TEXT, waitForSignupToSettle } from './payment';

const held: Signup = {
  id: '665f1c2a9b1e4a0012345678',
  activityId: '665f1c2a9b1e4a0012345600',
  status: 'pending_payment',
  payment: { timeStamp: '1764763200', nonceStr: 'n1', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' },
  paymentDueAt: '2026-12-03T13:30:00.000Z',
};

/**
 * The server as the app sees it while WeChat Pay's notification is on its way: each read answers the next
 * state (the last one repeats), on a virtual clock so the test waits no real time.
 */
function server(states: Array<Signup['status'] | Error>) {
  let clock = 0;
  const waits: number[] = [];
  const readsAt: number[] = [];
  return {
    waits,
    readsAt,
    sleep: async (ms: number) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    read: async (): Promise<Signup> => {
      readsAt.push(clock);
      const next = states.length > 1 ? states.shift()! : states[0]!;
      if (next instanceof Error) throw next;
      return { ...held, status: next, payment: next === 'pending_payment' ? held.payment : undefined };
    },
  };
}

describe('payAndConfirmSignup: a paid seat is confirmed only once the server says so', () => {
  beforeEach(() => {
    paymentSheet.answer = 'pay';
    paymentSheet.opened = 0;
  });

  it('shows the confirming state after paying and reads the sign-up with a growing wait until it is confirmed', async () => {
    const fake = server(['pending_payment', 'pending_payment', 'confirmed']);
    const events: string[] = [];
    const outcome = await payAndConfirmSignup(held, () => events.push(`confirming after ${fake.readsAt.length} reads`), fake);
    expect(paymentSheet.opened).toBe(1);
    expect(events).toEqual(['confirming after 0 reads']);
    expect(outcome).toEqual({ kind: 'settled', signup: expect.objectContaining({ id: held.id, status: 'confirmed' }) });
    expect(fake.waits).toEqual([500, 1000, 2000]);
    expect(fake.readsAt).toEqual([500, 1500, 3500]);
    expect(paymentOutcomeText(outcome as Extract<typeof outcome, { kind: 'settled' }>)).toEqual({ tone: 'ok', text: '报名成功，活动当天出示签到码即可' });
  });

  it('keeps today\'s answer when the shopper closes the pay sheet: nothing is read, no confirming state', async () => {
    paymentSheet.answer = 'cancel';
    const fake = server(['confirmed']);
    const onConfirming = jest.fn();
    await expect(payAndConfirmSignup(held, onConfirming, fake)).resolves.toEqual({ kind: 'not_paid' });
    expect(onConfirming).not.toHaveBeenCalled();
    expect(fake.readsAt).toEqual([]);
  });

  it('stops after about 30 s with "still confirming", never a success or failure, when the notification is late', async () => {
    const fake = server(['pending_payment']);
    const outcome = await payAndConfirmSignup(held, () => undefined, fake);
    expect(outcome).toEqual({ kind: 'unconfirmed' });
    expect(fake.waits.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(Math.max(...fake.waits)).toBe(4000);
    // The last wait is cut to the budget, and the last read is at the budget: the shopper waits 30 s, not more.
    expect(fake.waits.reduce((sum, ms) => sum + ms, 0)).toBe(CONFIRM_BUDGET_MS);
    expect(fake.readsAt.at(-1)).toBe(CONFIRM_BUDGET_MS);
    expect(paymentOutcomeText({ kind: 'unconfirmed' })).toEqual({ tone: 'pending', text: UNCONFIRMED_TEXT });
  });

  it('treats a failed read as a missed look, not a failed payment', async () => {
    const fake = server([new ApiError('NETWORK', 0), 'pending_payment', 'confirmed']);
    const settled = await waitForSignupToSettle(fake);
    expect(settled?.status).toBe('confirmed');
    expect(fake.readsAt).toHaveLength(3);
  });

  it('words a paid seat that ended waitlisted or cancelled (refunded) for what it is', async () => {
    const waitlisted = await waitForSignupToSettle(server(['pending_payment', 'waitlisted']));
    expect(paymentOutcomeText({ kind: 'settled', signup: { ...waitlisted!, waitlistPosition: 2 } })).toEqual({ tone: 'ok', text: '名额已满，您已进入候补第 2 位' });
    const cancelled = await waitForSignupToSettle(server(['cancelled']));
    expect(paymentOutcomeText({ kind: 'settled', signup: cancelled! })).toEqual({ tone: 'error', text: '报名未成功，已支付的费用将原路退回' });
  });
});
