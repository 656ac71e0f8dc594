export * from './schema';
export * from './checkin-window';
