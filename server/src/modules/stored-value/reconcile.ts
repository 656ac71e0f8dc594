import type { Types } from 'mongoose';
import type { PaymentDoc } from '../payments/model';
import type { Services } from '../../services';
import type { RefundRequestDoc, StoredValueAccount, StoredValueEntryDoc, TopupDoc } from './model';

// The stored-value books (npm run reconcile): every line is one break.
//  - per member: balance = Σ entries (principal and bonus apart), both ≥ 0, each entry's balance after
//    consistent with the one before, and what the account holds for unpaid orders = Σ their amounts;
//  - principal held = Σ paid top-ups − principal spent − principal refunded (over all members);
//  - every paid top-up has its one credit entry and a WeChat Pay payment that is paid (or refunded since),
//    of the same amount, and WeChat Pay's own record of each top-up payment agrees (the provider is asked);
//  - every refund request's parts are the payments' refunds, and its principal the entries booked for it.

export async function reconcileStoredValue(services: Services, options: { askProvider?: boolean } = {}): Promise<{ breaks: string[]; membersChecked: number }> {
  const { models } = services;
  const breaks: string[] = [];
  const accounts = await models.storedValueAccounts.find({}).lean<StoredValueAccount[]>();
  const byMember = new Map<string, StoredValueEntryDoc[]>();
  for await (const entry of models.storedValueEntries.find({}).sort({ createdAt: 1, _id: 1 }).lean<StoredValueEntryDoc[]>().cursor() as AsyncIterable<StoredValueEntryDoc>) {
    const list = byMember.get(String(entry.memberId)) ?? [];
    list.push(entry);
    byMember.set(String(entry.memberId), list);
  }
  const pendingTopups = await models.topups.find({ status: 'pending' }).lean<TopupDoc[]>();
  const pendingOf = new Map<string, number>();
  for (const t of pendingTopups) pendingOf.set(String(t.memberId), (pendingOf.get(String(t.memberId)) ?? 0) + t.amountFen + t.bonusFen);

  const memberIds = new Set([...accounts.map((a) => String(a._id)), ...byMember.keys()]);
  const accountOf = new Map(accounts.map((a) => [String(a._id), a]));
  for (const id of memberIds) {
    const account = accountOf.get(id);
    const entries = byMember.get(id) ?? [];
    const principal = entries.reduce((s, e) => s + e.principalDelta, 0);
    const bonus = entries.reduce((s, e) => s + e.bonusDelta, 0);
    const held = { principalFen: account?.principalFen ?? 0, bonusFen: account?.bonusFen ?? 0 };
    const label = `stored-value member ${id}`;
    if (held.principalFen < 0 || held.bonusFen < 0) breaks.push(`${label}: negative balance ${held.principalFen}/${held.bonusFen}`);
    if (held.principalFen !== principal) breaks.push(`${label}: principal ${held.principalFen} ≠ Σ entries ${principal}`);
    if (held.bonusFen !== bonus) breaks.push(`${label}: bonus ${held.bonusFen} ≠ Σ entries ${bonus}`);
    if ((account?.pendingFen ?? 0) !== (pendingOf.get(id) ?? 0)) breaks.push(`${label}: holds ${account?.pendingFen ?? 0} fen for unpaid orders, Σ unpaid orders ${pendingOf.get(id) ?? 0}`);
    // Sorted by time, each entry must start where some entry left off: the after-values form one chain.
    const starts = new Set(entries.map((e) => `${e.principalAfter - e.principalDelta}/${e.bonusAfter - e.bonusDelta}`));
    const ends = new Set(['0/0', ...entries.map((e) => `${e.principalAfter}/${e.bonusAfter}`)]);
    for (const start of starts) if (!ends.has(start)) breaks.push(`${label}: an entry starts from ${start}, which no entry left`);
  }

  // Principal held = Σ paid top-ups − principal spent − principal refunded.
  const paidTopups = await models.topups.find({ status: 'paid' }).lean<TopupDoc[]>();
  const paidSum = paidTopups.reduce((s, t) => s + t.amountFen, 0);
  const totals = await models.storedValueEntries.aggregate<{ _id: string; principal: number }>([{ $group: { _id: '$kind', principal: { $sum: '$principalDelta' } } }]);
  const byKind = new Map(totals.map((t) => [t._id, t.principal]));
  const spent = -((byKind.get('charge') ?? 0) + (byKind.get('charge_refund') ?? 0));
  const refunded = -(byKind.get('principal_refund') ?? 0);
  const adjusted = byKind.get('adjustment') ?? 0;
  const heldTotal = accounts.reduce((s, a) => s + a.principalFen, 0);
  if (heldTotal !== paidSum - spent - refunded + adjusted) {
    breaks.push(`stored-value: principal held ${heldTotal} ≠ paid top-ups ${paidSum} − spent ${spent} − refunded ${refunded}${adjusted ? ` + adjusted ${adjusted}` : ''}`);
  }

  // Paid top-ups ↔ their credit entries and their WeChat Pay payments.
  const payments = await models.payments.find({ 'purpose.type': 'topup' }).lean<PaymentDoc[]>();
  const paymentOf = new Map(payments.map((p) => [String(p.purpose.id), p]));
  const credits = await models.storedValueEntries.find({ kind: 'topup' }, { ref: 1, principalDelta: 1 }).lean<Array<Pick<StoredValueEntryDoc, 'ref' | 'principalDelta'>>>();
  const creditOf = new Map<string, number[]>();
  for (const c of credits) if (c.ref) creditOf.set(c.ref.id, [...(creditOf.get(c.ref.id) ?? []), c.principalDelta]);
  const paidIds = new Set(paidTopups.map((t) => String(t._id)));
  for (const topup of paidTopups) {
    const id = String(topup._id);
    const label = `stored-value top-up ${id}`;
    const credit = creditOf.get(id) ?? [];
    if (credit.length !== 1 || credit[0] !== topup.amountFen) breaks.push(`${label}: paid ${topup.amountFen} fen but credited [${credit.join(', ')}]`);
    const payment = paymentOf.get(id);
    if (!payment) breaks.push(`${label}: paid but has no payment`);
    else if (!['paid', 'refunding', 'refunded', 'refund_failed'].includes(payment.status)) breaks.push(`${label}: paid but payment ${payment.outTradeNo} is ${payment.status}`);
    else if (payment.amountFen !== topup.amountFen) breaks.push(`${label}: ${topup.amountFen} fen but payment ${payment.outTradeNo} is ${payment.amountFen}`);
  }
  for (const [id] of creditOf) if (!paidIds.has(id)) breaks.push(`stored-value top-up ${id}: credited but not paid`);
  for (const payment of payments) {
    if (payment.status === 'paid' && !paidIds.has(String(payment.purpose.id))) breaks.push(`stored-value payment ${payment.outTradeNo}: paid but its top-up is not credited`);
  }

  // Refund requests ↔ payments' refunds ↔ principal refund entries.
  const requests = await models.storedValueRefundRequests.find({ status: { $in: ['refunding', 'refunded'] } }).lean<RefundRequestDoc[]>();
  const refundEntries = await models.storedValueEntries.aggregate<{ _id: string; principal: number }>([
    { $match: { kind: 'principal_refund' } },
    { $group: { _id: '$ref.id', principal: { $sum: '$principalDelta' } } },
  ]);
  const refundedOf = new Map(refundEntries.map((r) => [r._id, -r.principal]));
  const paymentById = new Map(payments.map((p) => [String(p._id), p]));
  for (const request of requests) {
    const label = `stored-value refund request ${String(request._id)}`;
    const partsSum = request.parts.reduce((s, p) => s + p.amountFen, 0);
    if (partsSum !== request.principalFen) breaks.push(`${label}: parts ${partsSum} ≠ principal ${request.principalFen}`);
    if ((refundedOf.get(String(request._id)) ?? 0) !== request.principalFen) breaks.push(`${label}: entries refund ${refundedOf.get(String(request._id)) ?? 0} ≠ principal ${request.principalFen}`);
    for (const part of request.parts) {
      const payment = paymentById.get(String(part.paymentId as Types.ObjectId));
      if (!payment || !['refunding', 'refunded', 'refund_failed'].includes(payment.status) || (payment.refund?.amountFen ?? payment.amountFen) !== part.amountFen) {
        breaks.push(`${label}: payment ${part.outTradeNo} is ${payment?.status ?? 'missing'} for ${payment?.refund?.amountFen ?? '?'} fen, part is ${part.amountFen}`);
      }
    }
  }

  // WeChat Pay's own records of the top-up payments (the provider is asked about each).
  if (options.askProvider !== false && payments.length > 0) {
    const tradeNos = new Set(payments.map((p) => p.outTradeNo));
    for (const line of await services.payments.reconcile()) {
      if (tradeNos.has(line.split(' ')[0]!)) breaks.push(`stored-value payment ${line}`);
    }
  }
  return { breaks, membersChecked: memberIds.size };
}
