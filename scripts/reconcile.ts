/**
 * Checks the books for every member: balance ≥ 0 and balance = Σ ledger deltas = Σ remaining lots, and that
 * spend12mFen = Σ amountFen of the purchases still in the trailing window (and each category's spend = Σ the
 * purchases' categorySpend there), and that the dashboard's member
 * rollups equal a recount of the members, each campaign's outcome rollups a recount of its audience, their purchases in
 * the window and its redemptions, and the stored-value books (balance = Σ entries ≥ 0, principal held =
 * paid top-ups − spent − refunded, each top-up matched with its WeChat Pay payment and WeChat Pay's own record of it).
 * Prints each break; exits 1 if any.
 * Runs against MONGODB_URI, or the demo's embedded database (stop `npm start` first).
 *   npm run reconcile
 */
import { startStandalone } from '../server/src/jobs/standalone';
import { reconcilePoints } from '../server/src/modules/points/reconcile';
import { reconcileStoredValue } from '../server/src/modules/stored-value/reconcile';

async function main(): Promise<number> {
  const app = await startStandalone();
  try {
    const points = await reconcilePoints(app.services.models);
    const spend = await app.services.purchases.reconcileSpend();
    const categorySpend = await app.services.categories.reconcile();
    const rollups = await app.services.memberRollups.reconcile();
    // Each campaign's outcome rollups = a recount of its audience, their purchases in the window and its redemptions.
    const campaignRollups = await app.services.campaignRollups.reconcile();
    // Stored value: balance = Σ entries, ≥ 0, principal held = paid top-ups − spent − refunded, top-ups ↔ WeChat Pay.
    const storedValue = await reconcileStoredValue(app.services);
    for (const b of points.breaks) {
      process.stdout.write(`points  member ${b.memberId}: ${b.problems.join('; ')} (balance ${b.balance}, Σ ledger ${b.ledgerSum}, Σ lots ${b.lotSum})\n`);
    }
    for (const b of spend) {
      process.stdout.write(`spend   member ${b.memberId}: spend12mFen ${b.spend12mFen} ≠ Σ purchases in the window ${b.purchasesSum}\n`);
    }
    for (const b of categorySpend) {
      process.stdout.write(`category member ${b.memberId} ${b.category}: spend12mFen ${b.spend12mFen} ≠ Σ purchases in the window ${b.purchasesSum}\n`);
    }
    for (const problem of rollups.breaks) process.stdout.write(`rollup  ${problem}\n`);
    for (const problem of campaignRollups.breaks) process.stdout.write(`campaign rollup ${problem}\n`);
    for (const problem of storedValue.breaks) process.stdout.write(`${problem}\n`);
    const breaks = points.breaks.length + spend.length + categorySpend.length + rollups.breaks.length + campaignRollups.breaks.length + storedValue.breaks.length;
    process.stdout.write(`${points.membersChecked} members checked, ${breaks} break${breaks === 1 ? '' : 's'}\n`);
    return breaks > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`reconcile failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
