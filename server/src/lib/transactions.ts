import type mongoose from 'mongoose';
import type { ClientSession } from 'mongoose';

/**
 * Runs `work` in a MongoDB transaction, or inside the caller's when one is passed, so services compose:
 * a points spend inside a coupon exchange commits or aborts with it. The driver's withTransaction retries
 * on TransientTransactionError (write conflicts), so `work` must be safe to run again from the top.
 */
export async function inTransaction<T>(
  connection: mongoose.Connection,
  session: ClientSession | undefined,
  work: (session: ClientSession) => Promise<T>,
): Promise<T> {
  if (session) return work(session);
  const own = await connection.startSession();
  try {
    let result: T | undefined;
    await own.withTransaction(
      async () => {
        result = await work(own);
      },
      { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } },
    );
    return result as T;
  } finally {
    await own.endSession();
  }
}
