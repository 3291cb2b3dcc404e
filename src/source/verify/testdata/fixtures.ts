import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trustedKeysFromDir } from '../keys.js';
import { parseCommit, parseTag, type SignedObject } from '../object.js';
import type { TrustedKeys } from '../types.js';

/** Test helpers over the fixtures in this directory (test-only keys; see README.md). */
const testdata = import.meta.dirname;
export const fixture = (name: string): Buffer => readFileSync(join(testdata, name));

export function signed(name: string): SignedObject & { signature: string } {
  const raw = fixture(name);
  const p = name.startsWith('tag-') ? parseTag(raw) : parseCommit(raw);
  if (p.kind !== 'ok' || p.value.signature === undefined) throw new Error(`${name}: not signed`);
  return { ...p.value, signature: p.value.signature };
}

/** A key set read from testdata: signer.asc, mallory.asc… and allowed_signers, mallory.pub. */
export async function keysFrom(names: string[]): Promise<TrustedKeys> {
  const all = await trustedKeysFromDir(testdata);
  if (all.kind !== 'ok') throw all.error;
  return {
    openpgp: all.value.openpgp.filter((k) =>
      names.some((n) => k.getUserIDs().some((u) => u.includes(n))),
    ),
    ssh: all.value.ssh.filter((s) => names.some((n) => s.principals.includes(n))),
  };
}
