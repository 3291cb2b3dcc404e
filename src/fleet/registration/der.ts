/**
 * The little DER a PKCS#10 request needs, written and read here so that registration depends on
 * no ASN.1 package: node:crypto signs and verifies, and exports keys as SubjectPublicKeyInfo.
 */

/** Universal tags used by a certification request. */
export const tag = {
  integer: 0x02,
  bitString: 0x03,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  sequence: 0x30,
  set: 0x31,
  /** `[0]` constructed, the request's attributes. */
  context0: 0xa0,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value. */
export function tlv(t: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([t]), lengthBytes(content.length), content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(tag.sequence, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(tag.set, Buffer.concat(items));
export const utf8 = (text: string): Buffer => tlv(tag.utf8String, Buffer.from(text, 'utf8'));
/** A BIT STRING of whole bytes (no unused bits). */
export const bitString = (bytes: Buffer): Buffer =>
  tlv(tag.bitString, Buffer.concat([Buffer.from([0]), bytes]));
/** A small non-negative INTEGER (a version number). */
export const smallInteger = (n: number): Buffer => tlv(tag.integer, Buffer.from([n]));

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const out: number[] = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      groups.unshift(128 + (v % 128));
    out.push(...groups);
  }
  return tlv(tag.oid, Buffer.from(out));
}

/** DER that could not be read, with where in the input. */
export class DerError extends Error {
  override readonly name = 'DerError';
  constructor(
    readonly offset: number,
    problem: string,
  ) {
    super(`malformed DER at byte ${offset}: ${problem}`);
  }
}

/** One element read from DER: its tag, its content, and the whole encoding (for signatures). */
export interface Element {
  tag: number;
  content: Buffer;
  raw: Buffer;
}

/** Reads the element at `offset`; `end` is where the next one starts. */
export function readElement(buf: Buffer, offset: number): { element: Element; end: number } {
  const t = buf[offset];
  const first = buf[offset + 1];
  if (t === undefined || first === undefined) throw new DerError(offset, 'truncated header');
  if ((t & 0x1f) === 0x1f) throw new DerError(offset, 'high tag numbers are not used here');
  let length = first;
  let start = offset + 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError(offset, `length of ${count} bytes`);
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[start + i];
      if (b === undefined) throw new DerError(offset, 'truncated length');
      length = length * 256 + b;
    }
    start += count;
  }
  const end = start + length;
  if (end > buf.length) throw new DerError(offset, `length ${length} runs past the input`);
  return {
    element: { tag: t, content: buf.subarray(start, end), raw: buf.subarray(offset, end) },
    end,
  };
}

/** The elements inside a constructed element, all of which must be whole. */
export function children(parent: Element): Element[] {
  const out: Element[] = [];
  for (let offset = 0; offset < parent.content.length;) {
    const { element, end } = readElement(parent.content, offset);
    out.push(element);
    offset = end;
  }
  return out;
}

/** An element that must have tag `t`. */
export function expect(element: Element | undefined, t: number, what: string): Element {
  if (element === undefined) throw new DerError(0, `${what} is missing`);
  if (element.tag !== t)
    throw new DerError(0, `${what} has tag 0x${element.tag.toString(16)}, not 0x${t.toString(16)}`);
  return element;
}

/** The dotted form of an OBJECT IDENTIFIER's content. */
export function readOid(content: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of content) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) !== 0) continue;
    if (arcs.length === 0) {
      // The first byte holds two arcs (the first at most 2).
      const first = Math.min(2, Math.floor(value / 40));
      arcs.push(first, value - first * 40);
    } else arcs.push(value);
    value = 0;
  }
  return arcs.join('.');
}
