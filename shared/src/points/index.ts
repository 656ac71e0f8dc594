export * from './multiplier';
