export * from './errors';
export * from './accessTokenCache';
export * from './wechatClient';
export * from './wechatPayClient';
