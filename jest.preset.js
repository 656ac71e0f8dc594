// One transform for every workspace: swc strips types (tsc checks them separately) and turns ESM into
// CommonJS, including the few ESM-only packages under node_modules listed in esmPackages.
const esmPackages = ['mingo', 'agenda', '@agendajs/mongo-backend'];
module.exports = {
  testEnvironment: 'node',
  // Starting an app (embedded database, emulator, Koa) takes ~1 s on a quiet machine but several on a busy CI
  // runner with two suites side by side; jest's 5 s default would fail hooks for the machine's load, not a bug.
  testTimeout: 30_000,
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { react: { runtime: 'automatic' } } },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
