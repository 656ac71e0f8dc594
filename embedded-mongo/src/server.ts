import net from 'node:net';
import { ObjectId } from 'bson';
import { LogicalClock } from './clock';
import { reapTransactions, restoreRetryableWrite, retryableWriteRecords, runCommand, ServerState } from './commands';
import { CursorRegistry } from './cursors';
import { Durability } from './durability';
import { FailPoints } from './failpoints';
import { MemoryCeiling } from './memoryCeiling';
import { Storage } from './storage';
import { sweepExpiredDocuments } from './ttl';
import { Doc } from './values';
import { encodeReply, parseMessage } from './wire';

export interface ServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Directory for the journal and snapshots; without it data lives in memory only. */
  dataDir?: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Timing knobs, mainly for tests. */
  ttlSweepIntervalMs?: number;
  cursorTimeoutMs?: number;
  transactionLifetimeMs?: number;
  /** Heap use past which writes that add data are refused (default 85% of V8's heap limit; 0 = never). */
  heapCeilingBytes?: number;
}

export interface RunningServer {
  /** Connection string for drivers, e.g. `mongodb://127.0.0.1:27027` (append `/<db>` if wanted). */
  uri: string;
  port: number;
  /**
   * Writes a snapshot of the data directory now, in the background as one the journal's growth starts (commands are
   * served while it is written); resolves once it is on disk. Without a data directory there is nothing to write.
   */
  snapshot(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 48_000_000;

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const storage = new Storage();
  const recoveredWrites: Doc[] = [];
  const durability = options.dataDir ? await Durability.open(options.dataDir, storage, (rw) => recoveredWrites.push(rw)) : undefined;
  const state: ServerState = {
    storage,
    cursors: new CursorRegistry(options.cursorTimeoutMs ?? 10 * 60_000),
    sessions: new Map(),
    address: '',
    electionId: new ObjectId(),
    startedAt: new Date(),
    clock: new LogicalClock(),
    failPoints: new FailPoints(),
    appNames: new Map(),
    closeWatchers: new Map(),
    memory: options.heapCeilingBytes === 0 ? undefined : new MemoryCeiling(options.heapCeilingBytes ?? MemoryCeiling.defaultCeilingBytes()),
  };
  // retryable writes answered before a restart are answered from their records after it, as by mongod
  for (const rw of recoveredWrites) restoreRetryableWrite(state, rw);
  if (durability) durability.retryableRecords = () => retryableWriteRecords(state);
  const sockets = new Set<net.Socket>();
  let connectionCount = 0;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = ++connectionCount;
    // Bytes received but not yet parsed. A large message arrives in many chunks; they are only joined once
    // the whole message is there, so receiving it costs one copy instead of one per chunk.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let awaitedSize = 0;
    // one request at a time per connection keeps replies in request order
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < Math.max(awaitedSize, 4)) return;
      let buffer = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      while (buffer.length >= 4) {
        const size = buffer.readInt32LE(0);
        if (size < 16 || size > MAX_MESSAGE_BYTES) {
          socket.destroy();
          return;
        }
        if (buffer.length < size) break;
        const message = buffer.subarray(0, size);
        buffer = buffer.subarray(size);
        queue = queue.then(() => handleMessage(socket, message, connectionId));
      }
      pending = buffer.length ? [buffer] : [];
      pendingBytes = buffer.length;
      awaitedSize = buffer.length >= 4 ? buffer.readInt32LE(0) : 0;
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      state.appNames.delete(connectionId);
      for (const closed of state.closeWatchers.get(connectionId) ?? []) closed();
      state.closeWatchers.delete(connectionId);
    });
  });

  async function handleMessage(socket: net.Socket, message: Buffer, connectionId: number): Promise<void> {
    let request;
    try {
      request = parseMessage(message);
    } catch {
      socket.destroy();
      return;
    }
    const journalMark = durability?.mark();
    const reply = await runCommand(state, request.command, connectionId);
    // acknowledge only once everything this command journaled is on disk
    if (durability && journalMark !== undefined && durability.mark() !== journalMark) await durability.flushed(durability.mark());
    if (!reply) {
      // a fail point's network error: the client sees the connection close instead of a reply
      socket.destroy();
      return;
    }
    if (request.noReply || socket.destroyed) return;
    socket.write(encodeReply(request, reply));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const reportedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  state.address = `${reportedHost}:${port}`;

  const timers = [
    setInterval(() => sweepExpiredDocuments(storage), options.ttlSweepIntervalMs ?? 60_000),
    setInterval(() => {
      state.cursors.sweep();
      reapTransactions(state, options.transactionLifetimeMs ?? 60_000);
    }, Math.min(options.cursorTimeoutMs ?? 60_000, 60_000)),
  ];
  for (const t of timers) t.unref();

  let stopped: Promise<void> | undefined;
  return {
    uri: `mongodb://${reportedHost}:${port}`,
    port,
    async snapshot() {
      await durability?.snapshot();
    },
    stop() {
      stopped ??= (async () => {
        for (const t of timers) clearInterval(t);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        state.cursors.clear();
        await durability?.close();
      })();
      return stopped;
    },
  };
}
