export * from './split';
export * from './schema';
