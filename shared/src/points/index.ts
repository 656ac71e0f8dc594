export * from './multiplier';
export * from './schema';
export * from './lots';
export * from './earning';
