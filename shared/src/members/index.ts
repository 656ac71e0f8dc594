export * from './schema';
export * from './profile';
export * from './card-number';
export * from './masking';
export * from './admin';
export * from './legacy-import';
