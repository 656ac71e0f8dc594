// `npm run reconcile:payments`: compares our payments and paid sign-ups with WeChat Pay's order states
// (queryByOutTradeNo) and prints every mismatch; exits 1 if there is any, 2 if it could not run.
//
// Runs against MONGODB_URI and WeChat Pay (WECHATPAY_* settings), or in demo mode against the demo's embedded
// database and emulator state in MEMBERCARD_DATA_DIR (stop `npm start` first: it refuses while the demo runs).
import { startStandalone } from '../server/src/jobs/standalone';

async function main(): Promise<number> {
  const app = await startStandalone();
  try {
    const { services } = app;
    const mismatches = [...(await services.payments.reconcile()), ...(await services.activities.paidSeatMismatches())];
    const checked = await services.models.payments.countDocuments();
    for (const line of mismatches) process.stdout.write(`MISMATCH ${line}\n`);
    process.stdout.write(`${checked} payments checked, ${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}\n`);
    return mismatches.length > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`reconcile-payments failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
