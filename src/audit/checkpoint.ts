import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { canonicalJson } from './canonical.js';
import { LedgerError } from './errors.js';
import type { CheckpointPayload, SignedCheckpoint } from './types.js';

/**
 * A key's id: the first 16 hex digits of SHA-256 of its public key (SPKI DER), so a verifier
 * can say "signed by another key" instead of only "bad signature".
 */
export function keyIdOf(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

/** Signs checkpoints with a private key that never enters the ledger's database. */
export interface CheckpointSigner {
  keyId: string;
  /** The public half, to recognise the signer's own checkpoints in the database. */
  publicKey: KeyObject;
  sign(payload: Omit<CheckpointPayload, 'type' | 'v'>): SignedCheckpoint;
}

export function signerOf(key: KeyObject): CheckpointSigner {
  const keyId = keyIdOf(key);
  return {
    keyId,
    publicKey: createPublicKey(key),
    sign(fields) {
      const payload: CheckpointPayload = { type: 'ballast.dev/ledger-checkpoint', v: 1, ...fields };
      const body = canonicalJson({ ...payload });
      const signature = sign(null, Buffer.from(body, 'utf8'), key).toString('base64');
      return { body, signature, keyId };
    },
  };
}

async function readKeyFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new LedgerError(file, `cannot read the ${what}`, { cause: e });
  }
}

function requireEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new LedgerError(
      file,
      `is a ${key.asymmetricKeyType ?? 'unknown'} key; the ledger signs with ed25519 (make one with \`ballast audit keygen\`)`,
    );
  }
  return key;
}

/** The ed25519 private key in `file` (PEM, PKCS#8), as `--ledger-signing-key` names it. */
export async function loadSigningKey(file: string): Promise<CheckpointSigner> {
  const pem = await readKeyFile(file, 'ledger signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new LedgerError(file, 'is not a PEM private key (PKCS#8)', { cause: e });
  }
  return signerOf(requireEd25519(key, file));
}

/** The ed25519 public key in `file` (PEM SPKI; a private key file also works). */
export async function loadPublicKey(file: string): Promise<KeyObject> {
  const pem = await readKeyFile(file, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new LedgerError(file, 'is not a PEM public key', { cause: e });
  }
  return requireEd25519(key, file);
}

/** A new key pair as PEM text: the private key PKCS#8, the public key SPKI. */
export function generateSigningKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export type OpenedCheckpoint =
  { kind: 'valid'; payload: CheckpointPayload } | { kind: 'invalid'; problem: string };

function isPayload(v: unknown): v is CheckpointPayload {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o['type'] === 'ballast.dev/ledger-checkpoint' &&
    o['v'] === 1 &&
    Number.isSafeInteger(o['seq']) &&
    Number.isSafeInteger(o['every']) &&
    typeof o['id'] === 'string' &&
    typeof o['hash'] === 'string' &&
    typeof o['time'] === 'string' &&
    (o['ids'] === undefined ||
      (Array.isArray(o['ids']) && o['ids'].every((i) => typeof i === 'string')))
  );
}

/** The checkpoint's payload when `key` signed exactly its body, else why not. */
export function openCheckpoint(cp: SignedCheckpoint, key: KeyObject): OpenedCheckpoint {
  const keyId = keyIdOf(key);
  let ok: boolean;
  try {
    ok = verify(null, Buffer.from(cp.body, 'utf8'), key, Buffer.from(cp.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) {
    const other = cp.keyId === keyId ? '' : ` (it names key ${cp.keyId}, this is ${keyId})`;
    return { kind: 'invalid', problem: `its signature does not verify with this key${other}` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(cp.body);
  } catch {
    return { kind: 'invalid', problem: 'its signed body is not JSON' };
  }
  return isPayload(payload)
    ? { kind: 'valid', payload }
    : { kind: 'invalid', problem: 'its signed body is not a ledger checkpoint' };
}

/** A checkpoint read from JSON text (a file or a ConfigMap), naming where it came from. */
export function parseSignedCheckpoint(text: string, source: string): SignedCheckpoint {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new LedgerError(source, 'the checkpoint is not JSON', { cause: e });
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const { body, signature, keyId } = o;
  if (typeof body !== 'string' || typeof signature !== 'string' || typeof keyId !== 'string') {
    throw new LedgerError(source, 'the checkpoint needs the strings body, signature and keyId');
  }
  return { body, signature, keyId };
}
