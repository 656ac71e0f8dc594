import path from 'node:path';
import { startServer } from './server';

/** `embedded-mongo [--port N] [--dbpath DIR] [--host H]`: runs the server until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--help')) {
    console.log('usage: embedded-mongo [--port 27017] [--dbpath DIR] [--host 127.0.0.1]\nWithout --dbpath data is kept in memory only.');
    return;
  }
  const dbpath = value('--dbpath');
  const server = await startServer({
    port: Number(value('--port') ?? 27017),
    dataDir: dbpath ? path.resolve(dbpath) : undefined,
    host: value('--host'),
  });
  console.log(server.uri);
  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
