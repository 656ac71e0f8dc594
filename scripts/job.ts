/**
 * Runs one background job by hand, once, against MONGODB_URI (or, without it, the demo's embedded database
 * in MEMBERCARD_DATA_DIR, default ./.data; stop `npm start` first).
 *   npm run job -- points-expiry
 *   npm run job            (lists the jobs)
 * Jobs are safe to run beside the scheduler: each books its work through unique keys and conditional updates.
 */
import { JOBS } from '../server/src/jobs/registry';
import { startStandalone } from '../server/src/jobs/standalone';

async function main(): Promise<number> {
  const name = process.argv[2];
  const job = JOBS.find((j) => j.name === name);
  if (!job) {
    if (name) process.stderr.write(`No job named "${name}".\n`);
    process.stderr.write(`Usage: npm run job -- <name>\n${JOBS.map((j) => `  ${j.name.padEnd(24)} [${j.every}] ${j.description}`).join('\n')}\n`);
    return name ? 2 : 0;
  }
  const app = await startStandalone();
  try {
    const started = Date.now();
    const { processed } = await job.run(app.services);
    process.stdout.write(`${job.name}: processed ${processed} in ${Date.now() - started} ms\n`);
    return 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`job failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
