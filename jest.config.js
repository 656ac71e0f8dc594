// `npm test` runs every workspace's suite as one jest run (after `npm run build`, which the browser tests need).
module.exports = {
  // Starting an app (embedded database, emulator, Koa) takes ~1 s on a quiet machine but several on a busy one;
  // jest's 5 s default would fail hooks for the machine's load, not for a bug. A global option: projects ignore it.
  testTimeout: 30_000,
  projects: [
    '<rootDir>/embedded-mongo',
    '<rootDir>/shared',
    '<rootDir>/server',
    '<rootDir>/admin',
    '<rootDir>/miniprogram',
    '<rootDir>/tests',
  ],
};
