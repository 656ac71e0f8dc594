/**
 * How a till signs a POS request (the server and scripts/pos-client.ts both build the string from here, so
 * they cannot disagree). Headers: X-POS-Key (key id), X-POS-Timestamp (Unix seconds), X-POS-Nonce (16–64 of
 * A–Z a–z 0–9 _ -, new for every request, retries included), X-POS-Signature (lowercase hex
 * HMAC-SHA256 with the secret over the string below). The body hash is SHA-256 of the exact bytes sent
 * (of the empty string when there is none).
 */
export const POS_HEADERS = {
  key: 'X-POS-Key',
  timestamp: 'X-POS-Timestamp',
  nonce: 'X-POS-Nonce',
  signature: 'X-POS-Signature',
} as const;

/** A request is accepted when its timestamp is within this many seconds of the server's clock, either way. */
export const POS_SIGNATURE_WINDOW_SECONDS = 300;

export const POS_NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** `METHOD \n path-with-query \n timestamp \n nonce \n hex(SHA-256(body))`, the method upper-case. */
export function posStringToSign(input: { method: string; pathWithQuery: string; timestamp: string; nonce: string; bodySha256Hex: string }): string {
  return [input.method.toUpperCase(), input.pathWithQuery, input.timestamp, input.nonce, input.bodySha256Hex].join('\n');
}

/** The OpenAPI security scheme of the /pos routes: what a till sends and how it signs. */
export const POS_SIGNATURE_SCHEME = {
  type: 'apiKey',
  in: 'header',
  name: POS_HEADERS.signature,
  description: [
    'Every /pos request is signed with the store POS key HQ created (POST /admin/pos/credentials; the secret is shown once).',
    `Headers: ${POS_HEADERS.key} (key id), ${POS_HEADERS.timestamp} (Unix seconds), ${POS_HEADERS.nonce} (16–64 of A–Z a–z 0–9 _ -, new for every request, retries included), ${POS_HEADERS.signature}.`,
    'Signature: lowercase hex HMAC-SHA256, keyed with the secret (its base64url text as UTF-8 bytes), over',
    'METHOD + "\\n" + path with query as sent (e.g. /api/v1/pos/orders) + "\\n" + timestamp + "\\n" + nonce + "\\n" + lowercase hex SHA-256 of the exact body bytes (of "" when there is none).',
    `Refused with 401: POS_UNSIGNED (headers missing or malformed), POS_KEY_INVALID (unknown, revoked or past its rotation grace), POS_TIMESTAMP_STALE (more than ${POS_SIGNATURE_WINDOW_SECONDS} s from the server clock), POS_NONCE_REPLAYED (nonce used before with this key), POS_SIGNATURE_INVALID.`,
    'A key acts for its own store only: orders and returns are those of its store. Orders are idempotent on orderNo and returns on returnNo, so a till retries with the same body (and a fresh nonce and timestamp).',
  ].join('\n'),
} as const;
