export * from './scoring';
export * from './schema';
