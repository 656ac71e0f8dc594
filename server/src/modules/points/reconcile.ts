import type { Types } from 'mongoose';
import type { memberModel } from '../members/model';
import type { ledgerModel, lotModel } from './model';

// The points invariants, checked for every member: balance ≥ 0 and balance = Σ ledger deltas = Σ remaining
// lots. `npm run reconcile` prints what this finds; tests call it after their parallel runs. Totals come
// from two grouped aggregations (one pass over the ledger, one over the lots), then members are streamed,
// so the check costs three scans whatever the number of members.

export interface PointsBreak {
  memberId: string;
  balance: number | null;
  ledgerSum: number;
  lotSum: number;
  problems: string[];
}

export interface PointsReconciliation {
  membersChecked: number;
  breaks: PointsBreak[];
}

interface Models {
  members: ReturnType<typeof memberModel>;
  ledger: ReturnType<typeof ledgerModel>;
  lots: ReturnType<typeof lotModel>;
}

export async function reconcilePoints(models: Models): Promise<PointsReconciliation> {
  const [ledgerSums, lotSums] = await Promise.all([
    sumsBy(models.ledger, '$delta'),
    sumsBy(models.lots, '$remaining'),
  ]);
  const breaks: PointsBreak[] = [];
  let membersChecked = 0;
  const seen = new Set<string>();
  const cursor = models.members.find({}, { pointsBalance: 1 }).lean<Array<{ _id: Types.ObjectId; pointsBalance: number }>>().cursor();
  for await (const member of cursor) {
    membersChecked++;
    const id = String(member._id);
    seen.add(id);
    const balance = member.pointsBalance;
    const ledgerSum = ledgerSums.get(id) ?? 0;
    const lotSum = lotSums.get(id) ?? 0;
    const problems: string[] = [];
    if (!Number.isSafeInteger(balance)) problems.push(`balance is not a whole number (${balance})`);
    else if (balance < 0) problems.push(`balance ${balance} is below 0`);
    if (balance !== ledgerSum) problems.push(`balance ${balance} ≠ Σ ledger deltas ${ledgerSum}`);
    if (balance !== lotSum) problems.push(`balance ${balance} ≠ Σ remaining lots ${lotSum}`);
    if (problems.length) breaks.push({ memberId: id, balance, ledgerSum, lotSum, problems });
  }
  // Ledger entries or lots whose member is gone entirely.
  for (const id of new Set([...ledgerSums.keys(), ...lotSums.keys()])) {
    if (seen.has(id)) continue;
    breaks.push({
      memberId: id,
      balance: null,
      ledgerSum: ledgerSums.get(id) ?? 0,
      lotSum: lotSums.get(id) ?? 0,
      problems: ['ledger entries or lots for a member that does not exist'],
    });
  }
  return { membersChecked, breaks };
}

async function sumsBy(model: Models['ledger'] | Models['lots'], field: string): Promise<Map<string, number>> {
  const rows = await (model as Models['ledger']).aggregate<{ _id: Types.ObjectId; total: number }>([
    { $group: { _id: '$memberId', total: { $sum: field } } },
  ]);
  return new Map(rows.map((row) => [String(row._id), row.total]));
}
