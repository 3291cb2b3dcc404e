import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** A value in the SSH wire format could not be read. */
export class SshWireError extends Error {
  override readonly name = 'SshWireError';
}

/** Reads RFC 4251 `uint32` and `string` fields in order. */
export class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new SshWireError('truncated');
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  done(): boolean {
    return this.at === this.buf.length;
  }
}

/** Encodes one RFC 4251 `string`. */
export function wireString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** `SHA256:…` as `ssh-keygen -l` prints it, over the public key blob. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

const b64url = (b: Buffer): string => b.toString('base64url');
/** An mpint without the sign byte, as JWK wants unsigned big-endian integers. */
const unsigned = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const curves: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

/** A public key read from its SSH blob, ready for node:crypto. */
export interface SshPublicKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string;
  blob: Buffer;
  key: KeyObject;
}

/** Reads an SSH public key blob (ed25519, ECDSA P-256/384/521, RSA). Throws SshWireError. */
export function readPublicKey(blob: Buffer): SshPublicKey {
  const r = new WireReader(blob);
  const type = r.text();
  let jwk: Record<string, string>;
  if (type === 'ssh-ed25519') {
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(r.string()) };
  } else if (type === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    jwk = { kty: 'RSA', e: b64url(unsigned(e)), n: b64url(unsigned(n)) };
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = curves[r.text()];
    const q = r.string();
    if (curve === undefined || q[0] !== 4 || q.length !== 1 + 2 * curve.size)
      throw new SshWireError(`unsupported ECDSA key ${type}`);
    jwk = {
      kty: 'EC',
      crv: curve.crv,
      x: b64url(q.subarray(1, 1 + curve.size)),
      y: b64url(q.subarray(1 + curve.size)),
    };
  } else {
    throw new SshWireError(`unsupported key type ${type}`);
  }
  if (!r.done()) throw new SshWireError(`trailing bytes in ${type} key`);
  return { type, blob, key: createPublicKey({ key: jwk, format: 'jwk' }) };
}

/** How node:crypto checks one SSH signature algorithm: digest and signature encoding. */
export interface SignatureScheme {
  digest: string | null;
  /** ECDSA signatures arrive as two mpints; node wants r‖s of fixed width. */
  ecdsaWidth?: number;
}

/**
 * The scheme for a signature algorithm on a key type, or undefined when the pair is refused.
 * `ssh-rsa` (SHA-1) is refused for signatures, as OpenSSH does.
 */
export function schemeFor(keyType: string, sigType: string): SignatureScheme | undefined {
  if (keyType === 'ssh-ed25519' && sigType === 'ssh-ed25519') return { digest: null };
  if (keyType === 'ssh-rsa' && sigType === 'rsa-sha2-512') return { digest: 'sha512' };
  if (keyType === 'ssh-rsa' && sigType === 'rsa-sha2-256') return { digest: 'sha256' };
  if (keyType.startsWith('ecdsa-sha2-') && sigType === keyType) {
    const curve = curves[keyType.slice('ecdsa-sha2-'.length)];
    return curve === undefined ? undefined : { digest: curve.hash, ecdsaWidth: curve.size };
  }
  return undefined;
}

/** Turns an SSH ECDSA signature blob (mpint r, mpint s) into IEEE P1363 r‖s. */
export function ecdsaToP1363(sig: Buffer, width: number): Buffer {
  const r = new WireReader(sig);
  const parts = [unsigned(r.string()), unsigned(r.string())];
  if (!r.done() || parts.some((p) => p.length > width))
    throw new SshWireError('malformed ECDSA signature');
  return Buffer.concat(parts.map((p) => Buffer.concat([Buffer.alloc(width - p.length), p])));
}
