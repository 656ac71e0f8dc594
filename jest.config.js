// `npm test` runs every workspace's suite as one jest run (after `npm run build`, which the browser tests need).
module.exports = {
  projects: [
    '<rootDir>/embedded-mongo',
    '<rootDir>/shared',
    '<rootDir>/server',
    '<rootDir>/admin',
    '<rootDir>/miniprogram',
    '<rootDir>/tests',
  ],
};
