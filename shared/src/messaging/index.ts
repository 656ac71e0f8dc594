export * from './format';
export * from './templates';
