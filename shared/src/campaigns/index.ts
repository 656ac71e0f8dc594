export * from './schema';
export * from './segment';
export * from './marketing';
