import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import type mongoose from 'mongoose';
import type { Logger } from 'pino';
import { isDuplicateKeyError } from '../lib/errors';
import type { Services } from '../services';
import { JOBS, type JobDefinition } from './registry';

// The one background-job mechanism: agenda 6 on its MongoDB backend, in the product's own database. Every
// job in JOBS is one agenda job of type 'single' (one document per name in the `jobs` collection); an
// instance runs it only after taking the document's lock with an atomic findOneAndUpdate
// (`lockedAt: null, nextRunAt <= now` → `lockedAt: now`), so however many instances poll, one runs each
// occurrence, and the next occurrence is computed when the run starts.
//
// Two guards on top of agenda:
// - A unique index on the name of 'single' jobs: agenda upserts the schedule without one, and two
//   instances starting together on an empty database could otherwise create two documents for a job.
// - The schedule is written only when it is missing or has changed. agenda's every() re-saves the job
//   with `lockedAt: null`, so an instance starting while another runs the job would release that lock and
//   could start the same job beside it.
// Runs hold their lock for `lockLifetimeMs`; jobs that work in batches extend it through context.touch().
// A run whose instance died is taken over once its lock expires; every job is safe to run again.

/** Cron schedules in JOBS are read in China time, like the programme's calendar rules. */
export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';
export const JOBS_COLLECTION = 'jobs';

export interface SchedulerOptions {
  services: Services;
  connection: mongoose.Connection;
  logger: Logger;
  /** Default: JOBS. Tests pass their own. */
  jobs?: readonly JobDefinition[];
  /** How often this instance looks for due jobs, ms (default 30 s). */
  processEveryMs?: number;
  /** How long a run's lock holds without a touch, ms (default 10 min). */
  lockLifetimeMs?: number;
  /** How long stop() waits for running jobs, ms (default 15 s). */
  drainTimeoutMs?: number;
}

export interface JobScheduler {
  /** This instance's name, as recorded on the jobs it locks (`lastModifiedBy`). */
  readonly name: string;
  /** Takes no new runs, waits for running ones (up to the drain timeout), then returns. */
  stop(): Promise<void>;
}

export async function startScheduler(options: SchedulerOptions): Promise<JobScheduler> {
  const { services, connection, logger } = options;
  const jobs = options.jobs ?? JOBS;
  const db = connection.db;
  if (!db) throw new Error('The scheduler needs an open database connection');
  const name = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const lockLifetime = options.lockLifetimeMs ?? 10 * 60_000;
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db as never, collection: JOBS_COLLECTION }),
    name,
    processEvery: options.processEveryMs ?? 30_000,
    defaultConcurrency: 1,
    defaultLockLimit: 1,
    defaultLockLifetime: lockLifetime,
  });
  agenda.on('error', (err) => logger.error({ err }, 'job scheduler error'));
  agenda.on('fail', (err, job) => {
    if (err instanceof Error) logger.error({ err, job: (job as { attrs?: { name?: string } }).attrs?.name }, 'job failed');
  });

  for (const job of jobs) {
    agenda.define(
      job.name,
      async (run) => {
        const started = Date.now();
        const result = await job.run(services, { touch: () => run.touch() });
        logger.info({ job: job.name, processed: result.processed, ms: Date.now() - started }, 'job done');
      },
      { concurrency: 1, lockLimit: 1, lockLifetime },
    );
  }

  const collection = db.collection(JOBS_COLLECTION);
  await collection.createIndex({ name: 1 }, { unique: true, partialFilterExpression: { type: 'single' }, name: 'single_job_name' });
  for (const job of jobs) {
    const existing = await collection.findOne({ name: job.name, type: 'single' }, { projection: { repeatInterval: 1, repeatTimezone: 1 } });
    if (existing && existing.repeatInterval === job.every && existing.repeatTimezone === SCHEDULE_TIMEZONE) continue;
    try {
      // skipImmediate: the first run is one interval after the schedule is first written, not during start-up.
      await agenda.every(job.every, job.name, undefined, { timezone: SCHEDULE_TIMEZONE, skipImmediate: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // another instance wrote the schedule at the same moment
    }
  }
  await agenda.start();
  logger.debug({ scheduler: name, jobs: jobs.map((j) => j.name) }, 'job scheduler started');

  let stopping: Promise<void> | null = null;
  return {
    name,
    stop() {
      stopping ??= (async () => {
        const drained = await agenda.drain({ timeout: options.drainTimeoutMs ?? 15_000, closeConnection: false });
        if (drained.timedOut) {
          logger.warn({ running: drained.running }, 'job scheduler stopped with jobs still running');
          return; // their locks stay until they finish or expire
        }
        // Nothing of ours runs now: release the runs this instance had locked ahead of their time, so other
        // instances need not wait for those locks to expire.
        await collection.updateMany({ lastModifiedBy: name, lockedAt: { $ne: null } }, { $set: { lockedAt: null } });
      })();
      return stopping;
    },
  };
}
