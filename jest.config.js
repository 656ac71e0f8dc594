// `npm test` runs every workspace's suite as one jest run.
module.exports = {
  projects: ['<rootDir>/embedded-mongo', '<rootDir>/shared', '<rootDir>/server', '<rootDir>/tests'],
};
