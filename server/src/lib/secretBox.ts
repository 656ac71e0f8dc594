import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// Server-held keys and secrets sealed at rest.
//
// Every key is derived (HKDF-SHA256, salt 'membercard') from the server secret and a purpose label, so one
// leaked derived key opens nothing else. The labels are part of stored data: a sealed secret or a keyed hash
// made under one label is only readable under that label, so a label never changes once records exist.

/** A 32-byte key for one purpose, derived from the server secret. */
export function deriveKey(serverSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'membercard', purpose, 32));
}

/**
 * AES-256-GCM under a derived key, each sealed text bound to the id of the record holding it (associated data),
 * so it cannot be moved to another record. Format: base64url(iv 12 bytes ‖ ciphertext ‖ tag 16 bytes).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(serverSecret: string, purpose: string) {
    this.key = deriveKey(serverSecret, purpose);
  }

  seal(id: string, secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    return Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  /** The secret, or null when it was sealed under another server secret, for another id, or tampered with. */
  open(id: string, sealedText: string): string | null {
    try {
      const sealed = Buffer.from(sealedText, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
