export * from './errors';
export * from './primitives';
export * from './forbidden-keys';
export * from './china-time';
