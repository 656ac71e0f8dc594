// `npm test` runs every workspace's suite as one jest run (after `npm run build`, which the browser tests need).
module.exports = {
  // Starting an app (embedded database, emulator, Koa) takes ~1 s on a quiet machine but several on a busy one;
  // jest's 5 s default would fail hooks for the machine's load, not for a bug. A global option: projects ignore it.
  testTimeout: 30_000,
  // On a 2-core runner jest runs every suite in its own main process (in band), one after another, and what each
  // suite leaves behind (embedded databases, caches) slowed the later ones (the route fuzz: 24 s alone, 146 s as the
  // 111th file). A limit makes jest use a worker and recycle it once it holds this much.
  workerIdleMemoryLimit: '1GB',
  projects: [
    '<rootDir>/embedded-mongo',
    '<rootDir>/shared',
    '<rootDir>/server',
    '<rootDir>/admin',
    '<rootDir>/miniprogram',
    '<rootDir>/tests',
  ],
};
