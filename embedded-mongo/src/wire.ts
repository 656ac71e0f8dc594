import { deserialize, serialize } from 'bson';
import { Doc } from './values';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;

export interface Request {
  requestId: number;
  opCode: number;
  /** The command document, with OP_MSG document sequences folded in as arrays. */
  command: Doc;
  /** The client asked for no reply (unacknowledged writes). */
  noReply: boolean;
}

const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false } as const;

function readCString(buf: Buffer, pos: number): [string, number] {
  const end = buf.indexOf(0, pos);
  if (end < 0) throw new Error('unterminated cstring');
  return [buf.toString('utf8', pos, end), end + 1];
}

/** Decodes one complete message (header included). */
export function parseMessage(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = msg.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
    let pos = 20;
    let body: Doc | undefined;
    const sequences: [string, Doc[]][] = [];
    while (pos < end) {
      const kind = msg[pos++];
      const size = msg.readInt32LE(pos);
      if (kind === 0) {
        body = deserialize(msg.subarray(pos, pos + size), DESERIALIZE_OPTIONS);
        pos += size;
      } else if (kind === 1) {
        const sectionEnd = pos + size;
        const [identifier, docsStart] = readCString(msg, pos + 4);
        const docs: Doc[] = [];
        for (let p = docsStart; p < sectionEnd; ) {
          const docSize = msg.readInt32LE(p);
          docs.push(deserialize(msg.subarray(p, p + docSize), DESERIALIZE_OPTIONS));
          p += docSize;
        }
        sequences.push([identifier, docs]);
        pos = sectionEnd;
      } else throw new Error(`unknown OP_MSG section kind ${kind}`);
    }
    if (!body) throw new Error('OP_MSG without a body section');
    for (const [identifier, docs] of sequences) body[identifier] = docs;
    return { requestId, opCode, command: body, noReply: (flags & MORE_TO_COME) !== 0 };
  }
  if (opCode === OP_QUERY) {
    const [fullCollectionName, afterName] = readCString(msg, 20);
    const queryStart = afterName + 8; // numberToSkip, numberToReturn
    const size = msg.readInt32LE(queryStart);
    let query: Doc = deserialize(msg.subarray(queryStart, queryStart + size), DESERIALIZE_OPTIONS);
    if (query.$query && typeof query.$query === 'object') query = query.$query as Doc;
    const db = fullCollectionName.split('.')[0];
    return { requestId, opCode, command: { ...query, $db: db }, noReply: false };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

let nextResponseId = 1;

/** Encodes a reply in the format of the request (OP_MSG, or OP_REPLY for legacy OP_QUERY). */
export function encodeReply(request: Request, reply: Doc): Buffer {
  const body = serialize(reply, { ignoreUndefined: true });
  if (request.opCode === OP_QUERY) {
    const header = Buffer.alloc(36);
    header.writeInt32LE(36 + body.length, 0);
    header.writeInt32LE(nextResponseId++, 4);
    header.writeInt32LE(request.requestId, 8);
    header.writeInt32LE(OP_REPLY, 12);
    header.writeInt32LE(0, 16); // responseFlags
    header.writeBigInt64LE(0n, 20); // cursorID
    header.writeInt32LE(0, 28); // startingFrom
    header.writeInt32LE(1, 32); // numberReturned
    return Buffer.concat([header, body]);
  }
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(nextResponseId++, 4);
  header.writeInt32LE(request.requestId, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flags
  header[20] = 0; // section kind: body
  return Buffer.concat([header, body]);
}
