import pino from 'pino';
import { startMembercard } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { DEMO_ACCOUNTS } from './demo/seed';

// The process entry for `npm start`: configuration from the environment, the demo seed in demo mode (part
// of start-up: the port answers 503 NOT_READY until it is done), the URLs once the server is ready, and
// graceful shutdown on SIGTERM/SIGINT.

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel });
  const running = await startMembercard({ config, logger, seedDemo: config.demo });

  const base = `http://localhost:${running.port}`;
  const lines = [
    `membercard is running${config.demo ? ' in demo mode (embedded database, WeChat emulator)' : ''}`,
    `  API            ${base}/api/v1  (OpenAPI: ${base}/api/v1/openapi.json)`,
    `  health         ${base}/healthz (alive), ${base}/readyz (ready for traffic)`,
    `  HQ console     ${base}/admin/`,
    `  mini-program   ${base}/h5/`,
  ];
  if (config.demo) {
    lines.push(`  data dir       ${config.dataDir}`, '  demo accounts:');
    for (const account of DEMO_ACCOUNTS) lines.push(`    ${account.kind.padEnd(8)} ${account.username} / ${account.password}${account.storeId ? `  (${account.storeId})` : ''}`);
    lines.push('    shopper  sign in on /h5/ with any nickname (the emulator maps it to a WeChat openid)');
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`membercard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
