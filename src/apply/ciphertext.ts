import { groupOf, refOf, type KubeObject, type Origin } from '../api/object.js';
import { SyncObjectError } from './errors.js';

const marker = 'ENC[AES256_GCM,';

function holdsCiphertext(value: unknown, base64: boolean): boolean {
  if (typeof value !== 'string') return false;
  if (value.includes(marker)) return true;
  // A kustomize secretGenerator fed an undecrypted file base64-encodes the ciphertext.
  return base64 && Buffer.from(value, 'base64').toString('latin1').includes(marker);
}

/** The first `data`/`stringData` key of a core Secret whose value is still SOPS ciphertext. */
export function ciphertextKey(object: KubeObject): string | undefined {
  if (object.kind !== 'Secret' || groupOf(object.apiVersion) !== '') return undefined;
  for (const [field, base64] of [
    ['stringData', false],
    ['data', true],
  ] as const) {
    const map = (object as Record<string, unknown>)[field];
    if (typeof map !== 'object' || map === null) continue;
    for (const [key, value] of Object.entries(map)) {
      if (holdsCiphertext(value, base64)) return `${field}.${key}`;
    }
  }
  return undefined;
}

/**
 * Refuses a Secret that still carries SOPS ciphertext after rendering, so ciphertext never
 * lands in the cluster by mistake (a file sops encrypted that no renderer decrypted).
 */
export function refuseCiphertext(
  object: KubeObject,
  origin: Origin | undefined,
): SyncObjectError | undefined {
  const key = ciphertextKey(object);
  if (key === undefined) return undefined;
  return new SyncObjectError(
    refOf(object),
    origin,
    `${key} still holds SOPS ciphertext (ENC[AES256_GCM,…]) after rendering; nothing was applied; make sure the file is decrypted (a SOPS file the renderer recognizes, with its key configured)`,
  );
}
