export * from './colour';
export * from './schema';
export * from './theme';
