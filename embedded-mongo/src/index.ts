export { startServer } from './server';
export type { RunningServer, ServerOptions } from './server';
