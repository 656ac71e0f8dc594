/**
 * The flash-drop benchmark's HTTP clients (the phones of a drop): every request sent at the same moment, each
 * timed from then until its answer. Used in the benchmark's own process (the in-process topology) or, run with
 * FLASH_DROP_CLIENTS=1 as a child process over IPC, as a separate load generator, so the server's process does
 * none of the clients' HTTP work (the split topology; see flash-drop.ts).
 */
import http from 'node:http';

export interface DropRequest {
  path: string;
  body: unknown;
  token: string;
  key?: string;
}

export interface Outcome {
  ms: number;
  /** HTTP status, or the status the service's refusal travels with. */
  status: number;
  code: string;
}

/** What a child is sent per drop, and what it answers. */
export interface DropOrder {
  base: string;
  maxSockets: number;
  requests: DropRequest[];
}
export interface DropAnswer {
  wallMs: number;
  outcomes: Outcome[];
}

function post(agent: http.Agent, base: string, { path, body, token, key }: DropRequest): Promise<Omit<Outcome, 'ms'>> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(`${base}${path}`, {
      method: 'POST', agent,
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let code = 'OK';
        try {
          code = (JSON.parse(text) as { error?: { code: string } }).error?.code ?? 'OK';
        } catch {
          code = 'UNREADABLE';
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, code: `NETWORK ${err.code ?? err.message}` }));
    req.end(payload);
  });
}

/**
 * Sends every request at once on a fresh keep-alive agent (sockets left idle by an earlier drop are closed by the
 * server). At most `maxSockets` connections: more opened at one instant overflow the listen backlog (511) and are
 * reset by the kernel, which measures the client, not the drop; the rest wait in the agent's queue, timed from the start.
 */
export async function sendAll(order: DropOrder): Promise<DropAnswer> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: order.maxSockets });
  const started = performance.now();
  try {
    const outcomes = await Promise.all(
      order.requests.map(async (request) => {
        const t0 = performance.now();
        const answer = await post(agent, order.base, request);
        return { ...answer, ms: performance.now() - t0 };
      }),
    );
    return { wallMs: performance.now() - started, outcomes };
  } finally {
    agent.destroy();
  }
}

if (process.env.FLASH_DROP_CLIENTS === '1' && process.send) {
  process.on('message', (order: DropOrder) => {
    sendAll(order).then(
      (answer) => process.send!(answer),
      (err: Error) => process.send!({ error: err.message }),
    );
  });
  process.send({ ready: true });
}
