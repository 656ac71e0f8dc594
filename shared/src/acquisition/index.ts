export * from './schema';
export * from './scene';
