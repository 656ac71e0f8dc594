export * from './schema';
export * from './segment';
export * from './marketing';
export * from './holdout';
export * from './lift';
export * from './results';
