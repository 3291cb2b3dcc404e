import { createHash, verify as cryptoVerify } from 'node:crypto';
import { matchPatternList, type AllowedSigner } from './allowed-signers.js';
import {
  ecdsaToP1363,
  schemeFor,
  sshFingerprint,
  SshWireError,
  WireReader,
  wireString,
} from './sshwire.js';
import type { SignatureCheck, SignatureVerifier } from './types.js';

const begin = '-----BEGIN SSH SIGNATURE-----';
const end = '-----END SSH SIGNATURE-----';
const magic = Buffer.from('SSHSIG');
/** Git signs with `ssh-keygen -Y sign -n git`; any other namespace is a signature for something else. */
const gitNamespace = 'git';

/** The fields of an SSHSIG blob (openssh PROTOCOL.sshsig). */
export interface SshSig {
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: string;
  sigType: string;
  sigBlob: Buffer;
}

/** Reads an armored SSH signature. Throws SshWireError when it is not one. */
export function parseSshSig(armored: string): SshSig {
  const text = armored.trim();
  if (!text.startsWith(begin) || !text.endsWith(end)) throw new SshWireError('no SSH armor');
  const body = Buffer.from(text.slice(begin.length, -end.length).replace(/\s+/g, ''), 'base64');
  const r = new WireReader(body);
  if (!r.bytes(6).equals(magic)) throw new SshWireError('no SSHSIG preamble');
  const version = r.uint32();
  if (version !== 1) throw new SshWireError(`SSHSIG version ${version}`);
  const publicKey = r.string();
  const namespace = r.text();
  const reserved = r.string();
  const hashAlgorithm = r.text();
  const sig = new WireReader(r.string());
  const sigType = sig.text();
  const sigBlob = sig.string();
  if (!r.done()) throw new SshWireError('trailing bytes after the signature');
  return { publicKey, namespace, reserved, hashAlgorithm, sigType, sigBlob };
}

/** The bytes the key actually signed: preamble, namespace, reserved, hash name, H(message). */
export function signedData(
  sig: Pick<SshSig, 'namespace' | 'reserved' | 'hashAlgorithm'>,
  payload: Buffer,
): Buffer {
  const digest = createHash(sig.hashAlgorithm).update(payload).digest();
  return Buffer.concat([
    magic,
    wireString(sig.namespace),
    wireString(sig.reserved),
    wireString(sig.hashAlgorithm),
    wireString(digest),
  ]);
}

function refused(
  reason: Extract<SignatureCheck, { kind: 'refused' }>['reason'],
  detail: string,
): SignatureCheck {
  return { kind: 'refused', reason, detail };
}

/** Checks a signer entry's options at time `at`; undefined when the entry may sign. */
function entryProblem(entry: AllowedSigner, at: Date): SignatureCheck | undefined {
  const fp = sshFingerprint(entry.key.blob);
  if (entry.namespaces !== undefined && !matchPatternList(gitNamespace, entry.namespaces))
    return refused(
      'wrong-namespace',
      `key ${fp} (${entry.origin}) may not sign in namespace "git"`,
    );
  if (entry.validAfter !== undefined && at < entry.validAfter)
    return refused(
      'not-yet-valid-key',
      `key ${fp} is valid only after ${entry.validAfter.toISOString()}`,
    );
  if (entry.validBefore !== undefined && at >= entry.validBefore)
    return refused(
      'expired-key',
      `key ${fp} was valid only before ${entry.validBefore.toISOString()}`,
    );
  return undefined;
}

/** Verifies `gpg.format=ssh` signatures in process against allowed-signers entries. */
export class SshVerifier implements SignatureVerifier {
  readonly format = 'ssh' as const;
  constructor(private readonly signers: readonly AllowedSigner[]) {}

  accepts(armored: string): boolean {
    return armored.trimStart().startsWith(begin);
  }

  verify(payload: Buffer, armored: string, at: Date): Promise<SignatureCheck> {
    return Promise.resolve(this.check(payload, armored, at));
  }

  private check(payload: Buffer, armored: string, at: Date): SignatureCheck {
    let sig: SshSig;
    try {
      sig = parseSshSig(armored);
    } catch (e) {
      if (e instanceof SshWireError) return refused('malformed', `SSH signature: ${e.message}`);
      throw e;
    }
    const fp = sshFingerprint(sig.publicKey);
    if (sig.namespace !== gitNamespace)
      return refused('wrong-namespace', `signed in namespace "${sig.namespace}", not "git"`);
    if (sig.hashAlgorithm !== 'sha512' && sig.hashAlgorithm !== 'sha256')
      return refused('unsupported', `hash algorithm ${sig.hashAlgorithm}`);
    const candidates = this.signers.filter((s) => s.key.blob.equals(sig.publicKey));
    if (candidates.length === 0) return refused('untrusted-key', `SSH key ${fp} is not trusted`);
    // The blob matched a trusted entry byte for byte, so its parsed key is this key.
    const key = candidates[0]?.key;
    if (key === undefined) return refused('untrusted-key', `SSH key ${fp} is not trusted`);
    const scheme = schemeFor(key.type, sig.sigType);
    if (scheme === undefined)
      return refused('unsupported', `signature algorithm ${sig.sigType} on a ${key.type} key`);
    const data = signedData(sig, payload);
    let valid: boolean;
    try {
      valid =
        scheme.ecdsaWidth === undefined
          ? cryptoVerify(scheme.digest, data, key.key, sig.sigBlob)
          : cryptoVerify(
              scheme.digest,
              data,
              { key: key.key, dsaEncoding: 'ieee-p1363' },
              ecdsaToP1363(sig.sigBlob, scheme.ecdsaWidth),
            );
    } catch {
      valid = false;
    }
    if (!valid)
      return refused('bad-signature', `signature by SSH key ${fp} does not match the content`);
    // Several lines may name the same key; the first whose options allow this signature wins.
    let problem: SignatureCheck | undefined;
    for (const entry of candidates) {
      problem = entryProblem(entry, at);
      if (problem === undefined)
        return { kind: 'trusted', format: 'ssh', signer: entry.principals, fingerprint: fp };
    }
    return problem ?? refused('untrusted-key', `SSH key ${fp} is not trusted`);
  }
}
