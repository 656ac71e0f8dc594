export * from './schema';
export * from './distinct';
