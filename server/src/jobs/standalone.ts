import pino from 'pino';
import { startMembercard, type RunningMembercard } from '../bootstrap';
import { loadConfig } from '../config';

// The product's services without serving anyone, for the commands under scripts/ (`npm run job`,
// `npm run reconcile`): the same configuration and start-up as `npm start` — MONGODB_URI, or in demo
// mode the embedded database in MEMBERCARD_DATA_DIR — with the HTTP side on a private port and no jobs
// scheduled.

export async function startStandalone(env: NodeJS.ProcessEnv = process.env): Promise<RunningMembercard> {
  const config = { ...loadConfig(env), port: 0, host: '127.0.0.1' };
  if (config.demo) await refuseIfDemoIsRunning(Number(env.PORT ?? 3000));
  return startMembercard({ config, logger: pino({ level: env.LOG_LEVEL ?? 'warn' }), jobs: false });
}

/** The embedded database is one process's: a second one on the same data directory would corrupt it. */
async function refuseIfDemoIsRunning(port: number): Promise<void> {
  const running = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
    (res) => res.ok,
    () => false,
  );
  if (running) {
    throw new Error(`The demo server is running on port ${port}; stop it first (its embedded database belongs to that process).`);
  }
}
