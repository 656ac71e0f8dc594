export * from './schema';
export * from './signing';
