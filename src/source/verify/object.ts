/** A raw git object split into the bytes that were signed and the signature over them. */
export interface SignedObject {
  /** The object as signed: a commit without its `gpgsig` header, a tag without its trailer. */
  payload: Buffer;
  /** The armored signature, or undefined when the object is unsigned. */
  signature: string | undefined;
  /** `Name <email>` of the author (commit) or tagger (tag). */
  author: string;
  /** The commit's parents, or the tag's target object. */
  links: string[];
}

export type ParsedObject =
  { kind: 'ok'; value: SignedObject } | { kind: 'malformed'; problem: string };

const signatureHeaders = new Set(['gpgsig', 'gpgsig-sha256']);
const signatureMarkers = ['-----BEGIN PGP SIGNATURE-----', '-----BEGIN SSH SIGNATURE-----'];

function personOf(line: string): string {
  // "author Name <email> 1700000000 +0000": keep the name and address, drop the timestamp.
  const m = /^\S+ (.*?) \d+ [+-]\d{4}$/.exec(line);
  return m?.[1] ?? line.slice(line.indexOf(' ') + 1);
}

/**
 * Splits `git cat-file commit` output. Git signs the object with the signature header removed,
 * continuation lines (those starting with one space) included, so that is what is rebuilt here.
 */
export function parseCommit(raw: Buffer): ParsedObject {
  const text = raw.toString('latin1');
  const end = text.indexOf('\n\n');
  const headerEnd = end === -1 ? text.length : end + 1;
  const lines = text.slice(0, headerEnd).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept: string[] = [];
  let signature: string[] | undefined;
  let inSignature = false;
  let author = '';
  const parents: string[] = [];
  for (const line of lines) {
    if (line.startsWith(' ')) {
      if (inSignature) signature?.push(line.slice(1));
      else kept.push(line);
      continue;
    }
    inSignature = false;
    const name = line.slice(0, line.indexOf(' '));
    if (signatureHeaders.has(name)) {
      if (signature !== undefined) return { kind: 'malformed', problem: 'two signature headers' };
      signature = [line.slice(name.length + 1)];
      inSignature = true;
      continue;
    }
    if (name === 'author') author = personOf(line);
    if (name === 'parent') parents.push(line.slice(7));
    kept.push(line);
  }
  if (!lines[0]?.startsWith('tree ')) return { kind: 'malformed', problem: 'no tree header' };
  const payload = Buffer.concat([
    Buffer.from(kept.map((l) => `${l}\n`).join(''), 'latin1'),
    raw.subarray(Buffer.byteLength(text.slice(0, headerEnd), 'latin1')),
  ]);
  const sig = signature === undefined ? undefined : `${signature.join('\n')}\n`;
  return { kind: 'ok', value: { payload, signature: sig, author, links: parents } };
}

/**
 * Splits `git cat-file tag` output. A tag's signature is appended to its message; git takes the
 * last line that opens a signature as its start, and so does this.
 */
export function parseTag(raw: Buffer): ParsedObject {
  const text = raw.toString('latin1');
  if (!text.startsWith('object ')) return { kind: 'malformed', problem: 'no object header' };
  let start = -1;
  for (let at = 0; at < text.length;) {
    if (signatureMarkers.some((m) => text.startsWith(m, at))) start = at;
    const nl = text.indexOf('\n', at);
    if (nl === -1) break;
    at = nl + 1;
  }
  const headers = text.slice(0, text.indexOf('\n\n') === -1 ? text.length : text.indexOf('\n\n'));
  const tagger = headers.split('\n').find((l) => l.startsWith('tagger ')) ?? '';
  const object = /^object ([0-9a-f]{40,64})$/m.exec(headers)?.[1] ?? '';
  const split = start === -1 ? raw.length : Buffer.byteLength(text.slice(0, start), 'latin1');
  return {
    kind: 'ok',
    value: {
      payload: raw.subarray(0, split),
      signature: start === -1 ? undefined : raw.subarray(split).toString('utf8'),
      author: personOf(tagger),
      links: [object],
    },
  };
}
