export * from './schema';
export * from './terms';
export * from './redemption-codes';
export * from './centre';
