import { MongoClient } from 'mongodb';
import { startServer } from '../src';

export interface Target {
  uri: string;
  client: MongoClient;
  /** True when running against the embedded server (not MONGODB_URI). */
  embedded: boolean;
  close(): Promise<void>;
}

let dbCounter = 0;
/** A database name unique to this run, so suites can share a real server. */
export const freshDbName = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`;

/** Connects to MONGODB_URI when set, otherwise to a fresh in-memory embedded server on a free port. */
export async function openTarget(options: { ttlSweepIntervalMs?: number; cursorTimeoutMs?: number } = {}): Promise<Target> {
  const external = process.env.MONGODB_URI;
  if (external) {
    const client = await MongoClient.connect(external);
    return { uri: external, client, embedded: false, close: () => client.close() };
  }
  const server = await startServer({ port: 0, ...options });
  const client = await MongoClient.connect(server.uri);
  return {
    uri: server.uri,
    client,
    embedded: true,
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
