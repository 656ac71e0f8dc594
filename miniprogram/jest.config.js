// Unit tests of the mini-program's logic, hooks and components, in jsdom. Taro's runtime is replaced by
// small stand-ins (src/test/), since jest runs neither WeChat nor Taro's H5 runtime.
const preset = require('../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'miniprogram',
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  moduleNameMapper: {
    '^@tarojs/taro$': '<rootDir>/src/test/taroStub.ts',
    '^@tarojs/components$': '<rootDir>/src/test/componentsStub.tsx',
    // One React for the app, its tests and @testing-library (the root has the console's React 19).
    '^react$': '<rootDir>/node_modules/react',
    '^react/(.*)$': '<rootDir>/node_modules/react/$1',
    '^react-dom$': '<rootDir>/node_modules/react-dom',
    '^react-dom/(.*)$': '<rootDir>/node_modules/react-dom/$1',
  },
};
