export * from './schema';
export * from './tiers';
