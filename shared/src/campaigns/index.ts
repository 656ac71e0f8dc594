export * from './schema';
export * from './segment';
