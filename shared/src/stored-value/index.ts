export * from './split';
export * from './schema';
export * from './topup';
