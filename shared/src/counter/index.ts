export * from './schema';
export * from './checkout';
