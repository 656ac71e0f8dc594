export * from './base32';
export * from './otp';
export * from './codes';
export * from './schema';
