import { SopsFormatError, SopsUnsupportedError, type NeededKey } from './errors.js';
import type { EncryptionRules } from './tree.js';

/** One master key of the file: who can unwrap the data key, and the wrapped key itself. */
export type MasterKeyEntry =
  | { type: 'age'; recipient: string; enc: string }
  | { type: 'pgp'; fingerprint: string; enc: string; createdAt: string }
  | { type: 'other'; service: string; id: string };

/** The `sops:` block, read and checked. */
export interface SopsMetadata {
  /** Key groups; sops writes a single group as top-level `age:`/`pgp:` lists. */
  groups: MasterKeyEntry[][];
  /** `lastmodified` as written. */
  lastModified: string;
  /** `lastmodified` as Go re-formats it (RFC 3339, no fraction): the MAC's authenticated data. */
  macAad: string;
  /** The encrypted MAC. */
  mac: string;
  rules: EncryptionRules;
  version: string;
}

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function recs(v: unknown): Rec[] {
  return Array.isArray(v) ? v.filter(isRec) : [];
}

/** Cloud key services Ballast has no client for; named in errors so the operator knows why. */
const otherServices: Readonly<Record<string, string>> = {
  kms: 'arn',
  gcp_kms: 'resource_id',
  azure_kv: 'vault_url',
  hc_vault: 'key_name',
  hckms: 'key_id',
};

function groupOf(r: Rec): MasterKeyEntry[] {
  const keys: MasterKeyEntry[] = [];
  for (const a of recs(r.age)) {
    keys.push({ type: 'age', recipient: str(a.recipient) ?? '', enc: str(a.enc) ?? '' });
  }
  for (const p of recs(r.pgp)) {
    keys.push({
      type: 'pgp',
      fingerprint: str(p.fp) ?? '',
      enc: str(p.enc) ?? '',
      createdAt: str(p.created_at) ?? '',
    });
  }
  for (const [service, field] of Object.entries(otherServices)) {
    for (const k of recs(r[service]))
      keys.push({ type: 'other', service, id: str(k[field]) ?? '' });
  }
  return keys;
}

/**
 * Go's `time.Parse(RFC3339)` then `Format(RFC3339)`: the fraction goes, a zero offset becomes
 * `Z`. Undefined when the text is not RFC 3339.
 */
export function goRfc3339(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [, base = '', , zone = 'Z'] = m;
  return `${base}${zone === '+00:00' || zone === '-00:00' ? 'Z' : zone}`;
}

const ruleNames = [
  ['unencrypted_suffix', 'unencryptedSuffix'],
  ['encrypted_suffix', 'encryptedSuffix'],
  ['unencrypted_regex', 'unencryptedRegex'],
  ['encrypted_regex', 'encryptedRegex'],
] as const;

function readRules(file: string, m: Rec): EncryptionRules | SopsFormatError | SopsUnsupportedError {
  for (const comment of ['unencrypted_comment_regex', 'encrypted_comment_regex']) {
    if (str(m[comment]) !== undefined && m[comment] !== '') {
      return new SopsUnsupportedError(
        file,
        `the file uses ${comment}, which Ballast does not support`,
      );
    }
  }
  const macOnly = m.mac_only_encrypted === true || m.mac_only_encrypted === 'true';
  const rules: EncryptionRules = { macOnlyEncrypted: macOnly };
  let count = 0;
  for (const [name, field] of ruleNames) {
    const v = str(m[name]);
    if (v === undefined || v === '') continue;
    rules[field] = v;
    count++;
  }
  if (count > 1) return new SopsFormatError(file, 'it sets more than one encryption rule');
  if (count === 0) rules.unencryptedSuffix = '_unencrypted';
  return rules;
}

export function readMetadata(
  file: string,
  raw: unknown,
): SopsMetadata | SopsFormatError | SopsUnsupportedError {
  if (!isRec(raw))
    return new SopsFormatError(file, "the 'sops' metadata is missing or not a mapping");
  const lastModified = str(raw.lastmodified);
  const macAad = lastModified === undefined ? undefined : goRfc3339(lastModified);
  if (lastModified === undefined || macAad === undefined) {
    return new SopsFormatError(file, "'sops.lastmodified' is missing or not an RFC 3339 time");
  }
  const mac = str(raw.mac);
  if (mac === undefined || mac === '') return new SopsFormatError(file, "'sops.mac' is missing");
  const rules = readRules(file, raw);
  if (rules instanceof Error) return rules;
  const groups = Array.isArray(raw.key_groups) ? recs(raw.key_groups).map(groupOf) : [groupOf(raw)];
  if (groups.length > 1) {
    return new SopsUnsupportedError(
      file,
      `the data key is split across ${groups.length} key groups (Shamir)`,
    );
  }
  if ((groups[0] ?? []).length === 0) return new SopsFormatError(file, 'it lists no master keys');
  return { groups, lastModified, macAad, mac, rules, version: str(raw.version) ?? '' };
}

/** How each master key is named to the operator: recipients and fingerprints only. */
export function neededKeys(m: SopsMetadata): NeededKey[] {
  return m.groups
    .flat()
    .map((k) =>
      k.type === 'age'
        ? { type: 'age', id: k.recipient }
        : k.type === 'pgp'
          ? { type: 'pgp', id: k.fingerprint }
          : { type: 'other', id: `${k.service} ${k.id}` },
    );
}

/** The `sops:` block sops writes for a single key group. */
export function writeMetadata(m: {
  age: { recipient: string; enc: string }[];
  pgp: { fingerprint: string; enc: string; createdAt: string }[];
  lastModified: string;
  mac: string;
  rules: EncryptionRules;
  version: string;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.age.length > 0) out.age = m.age.map((a) => ({ recipient: a.recipient, enc: a.enc }));
  out.lastmodified = m.lastModified;
  out.mac = m.mac;
  if (m.pgp.length > 0) {
    out.pgp = m.pgp.map((p) => ({ created_at: p.createdAt, enc: p.enc, fp: p.fingerprint }));
  }
  for (const [name, field] of ruleNames) {
    const v = m.rules[field];
    if (v !== undefined && v !== '') out[name] = v;
  }
  if (m.rules.macOnlyEncrypted) out.mac_only_encrypted = true;
  out.version = m.version;
  return out;
}
