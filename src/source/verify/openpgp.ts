import type * as OpenPgp from 'openpgp';
import type { PublicKey, Signature, Subkey } from 'openpgp';
import type { RefusalReason, SignatureCheck, SignatureVerifier } from './types.js';

// openpgp adds about 20 MiB of resident memory once imported, so a controller whose
// Applications ask for no signature verification never imports it. (secrets/ loads it the same
// way for SOPS; Node keeps one instance of the module for both.)
let imported: Promise<typeof OpenPgp> | undefined;
const loadOpenPgp = (): Promise<typeof OpenPgp> => (imported ??= import('openpgp'));

const begin = '-----BEGIN PGP SIGNATURE-----';

function refused(reason: RefusalReason, detail: string): SignatureCheck {
  return { kind: 'refused', reason, detail };
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Maps openpgp.js's error sentences to a reason; the sentence itself becomes the detail. */
function classify(e: unknown, keyName: string): SignatureCheck {
  const m = messageOf(e);
  if (/revoked/i.test(m)) return refused('revoked-key', `key ${keyName} is revoked (${m})`);
  if (/expired/i.test(m)) return refused('expired-key', `key ${keyName} is expired (${m})`);
  if (/digest did not match|verification failed/i.test(m))
    return refused('bad-signature', `signature by key ${keyName} does not match the content`);
  return refused('bad-signature', `key ${keyName}: ${m}`);
}

function userIdOf(key: PublicKey): string {
  return key.getUserIDs()[0] ?? key.getFingerprint().toUpperCase();
}

/**
 * Verifies `gpg.format=openpgp` signatures in process with openpgp.js, against armored public
 * keys (primary keys and their signing subkeys).
 *
 * Time: openpgp.js checks that the key was valid when the signature says it was made. That time is
 * chosen by the signer (as is the commit date), so a holder of an expired key could backdate. We
 * also require the signing key to be valid at `at`, the verification time: once a key expires or
 * is revoked, no commit signed by it is applied any more, old or new. Rotate keys before expiry.
 */
export class OpenPgpVerifier implements SignatureVerifier {
  readonly format = 'openpgp' as const;
  constructor(private readonly keys: readonly PublicKey[]) {}

  accepts(armored: string): boolean {
    return armored.trimStart().startsWith(begin);
  }

  async verify(payload: Buffer, armored: string, at: Date): Promise<SignatureCheck> {
    const openpgp = await loadOpenPgp();
    let signature: Signature;
    try {
      signature = await openpgp.readSignature({ armoredSignature: armored });
    } catch (e) {
      return refused('malformed', `OpenPGP signature: ${messageOf(e)}`);
    }
    const ids = signature.getSigningKeyIDs();
    const issuer = ids[0];
    if (ids.length !== 1 || issuer === undefined)
      return refused('malformed', `OpenPGP signature has ${ids.length} issuers; git writes one`);
    const key = this.keys.find((k) => k.getKeys(issuer).length > 0);
    if (key === undefined)
      return refused('untrusted-key', `OpenPGP key ${issuer.toHex().toUpperCase()} is not trusted`);
    const name = key.getFingerprint().toUpperCase();
    try {
      const message = await openpgp.createMessage({ binary: payload });
      const result = await openpgp.verify({
        message,
        signature,
        verificationKeys: [key],
        date: at,
        format: 'binary',
      });
      await result.signatures[0]?.verified;
      if (result.signatures.length !== 1) return refused('malformed', 'expected one signature');
      // The signing key (primary or subkey) must also be valid now, not only at signing time.
      await key.getSigningKey(issuer, at);
    } catch (e) {
      return classify(e, name);
    }
    const signing = key.getKeys(issuer)[0] as PublicKey | Subkey;
    const subkey = signing === key ? undefined : signing.getFingerprint().toUpperCase();
    return {
      kind: 'trusted',
      format: 'openpgp',
      signer: userIdOf(key),
      fingerprint: name,
      ...(subkey === undefined ? {} : { signingSubkey: subkey }),
    };
  }
}

/** Reads armored OpenPGP public keys (one block may hold several); problems name the entry. */
export async function readArmoredKeys(
  armored: string,
  entry: string,
): Promise<{ kind: 'ok'; value: PublicKey[] } | { kind: 'invalid'; problem: string }> {
  const { readKeys } = await loadOpenPgp();
  try {
    const keys = await readKeys({ armoredKeys: armored });
    const priv = keys.find((k) => k.isPrivate());
    if (priv !== undefined)
      return { kind: 'invalid', problem: `${entry}: holds a private key; give public keys only` };
    return { kind: 'ok', value: keys.map((k) => k.toPublic()) };
  } catch (e) {
    return {
      kind: 'invalid',
      problem: `${entry}: not an armored OpenPGP public key (${messageOf(e)})`,
    };
  }
}
