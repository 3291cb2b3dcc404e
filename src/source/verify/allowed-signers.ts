import { readPublicKey, SshWireError, type SshPublicKey } from './sshwire.js';

/** One trusted SSH key, as one line of an OpenSSH allowed-signers file describes it. */
export interface AllowedSigner {
  /** The comma-separated principal patterns, as written; the signer identity we report. */
  principals: string;
  key: SshPublicKey;
  /** Namespace patterns from `namespaces="…"`; undefined means any namespace. */
  namespaces?: string[];
  validAfter?: Date;
  validBefore?: Date;
  /** Where the line came from, for messages: `entry:line`. */
  origin: string;
}

export type AllowedSignersResult =
  { kind: 'ok'; value: AllowedSigner[] } | { kind: 'invalid'; problem: string };

/** Splits on whitespace, keeping double-quoted runs (option values may hold spaces or commas). */
function tokens(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}

function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** `YYYYMMDD[HHMM[SS]][Z]`. Read as UTC: a controller's local zone is not the signer's. */
export function parseSshTime(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(s);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1).map((v: string | undefined) => Number(v ?? '0'));
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, sec ?? 0));
}

const keyTypes = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;

type Options = Pick<AllowedSigner, 'namespaces' | 'validAfter' | 'validBefore'>;

function parseOptions(field: string): Options | string {
  const opts: Options = {};
  for (const raw of splitOptions(field)) {
    const eq = raw.indexOf('=');
    const name = (eq === -1 ? raw : raw.slice(0, eq)).toLowerCase();
    const value = eq === -1 ? '' : raw.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    if (name === 'namespaces') opts.namespaces = value.split(',');
    else if (name === 'valid-after' || name === 'valid-before') {
      const t = parseSshTime(value);
      if (t === undefined) return `${name} "${value}" is not YYYYMMDD[HHMM[SS]]`;
      if (name === 'valid-after') opts.validAfter = t;
      else opts.validBefore = t;
    } else if (name === 'cert-authority')
      return 'cert-authority (SSH certificates) is not supported';
    else return `unknown option ${name}`;
  }
  return opts;
}

/**
 * Reads one allowed-signers line: `principals [options] keytype base64 [comment]`. A bare public
 * key line (`keytype base64 [comment]`, a `.pub` file) is accepted too; its principal is the
 * comment, or `fallbackPrincipal` when there is none.
 */
function parseLine(
  line: string,
  fallbackPrincipal: string,
): Omit<AllowedSigner, 'origin'> | string {
  const t = tokens(line);
  let principals: string;
  let rest: string[];
  if (keyTypes.test(t[0] ?? '')) {
    principals = t[2] ?? fallbackPrincipal;
    rest = t.slice(0, 2);
  } else {
    principals = (t[0] ?? '').replace(/^"(.*)"$/, '$1');
    rest = t.slice(1);
  }
  let options: Options = {};
  if (rest[0] !== undefined && !keyTypes.test(rest[0])) {
    const o = parseOptions(rest[0]);
    if (typeof o === 'string') return o;
    options = o;
    rest = rest.slice(1);
  }
  const [type, b64] = rest;
  if (type === undefined || b64 === undefined || !keyTypes.test(type))
    return 'expected "principals [options] keytype base64-key"';
  try {
    const key = readPublicKey(Buffer.from(b64, 'base64'));
    if (key.type !== type) return `key type ${type} does not match the key blob (${key.type})`;
    return { principals, key, ...options };
  } catch (e) {
    if (e instanceof SshWireError) return e.message;
    throw e;
  }
}

/** Reads an allowed-signers file (or `.pub` file); problems name the entry and line. */
export function parseAllowedSigners(text: string, entry: string): AllowedSignersResult {
  const out: AllowedSigner[] = [];
  const fallback = entry.replace(/\.pub$/, '');
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseLine(line, fallback);
    const origin = `${entry}:${i + 1}`;
    if (typeof parsed === 'string') return { kind: 'invalid', problem: `${origin}: ${parsed}` };
    out.push({ ...parsed, origin });
  }
  return { kind: 'ok', value: out };
}

/** OpenSSH pattern matching: `*` and `?` wildcards, `!` negation, comma-separated lists. */
export function matchPatternList(value: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const body = negated ? p.slice(1) : p;
    const re = new RegExp(
      `^${body
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    if (re.test(value)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}
