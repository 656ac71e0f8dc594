// Unit tests for the api client and the pure helpers; they run in node (no DOM needed).
module.exports = { ...require('../jest.preset.js'), displayName: 'admin', rootDir: __dirname, roots: ['<rootDir>/src'] };
