import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalEncodingError, sha256Hex } from './canonical.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
  });

  it('encodes the same value the same way whatever the key insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '10': 4, '9': 5 })).toBe(
      '{"10":4,"9":5,"Z":3,"z":2,"é":1}',
    );
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0001' })).toBe('{"s":"a\\"b\\\\c\\n\\u0001"}');
  });

  it('leaves out members whose value is undefined', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('refuses numbers that are not safe integers, naming where they are', () => {
    expect(() => canonicalJson({ a: [1, 1.5] })).toThrow(CanonicalEncodingError);
    expect(() => canonicalJson({ a: [1, 1.5] })).toThrow('/a/1: 1.5 is not a safe integer');
    expect(() => canonicalJson(Number.NaN)).toThrow('not a safe integer');
  });

  it('refuses objects that are not plain', () => {
    const date = new Date(0) as unknown as { [key: string]: string };
    expect(() => canonicalJson({ when: date })).toThrow('/when: only plain objects');
  });
});

describe('sha256Hex', () => {
  it('hashes the UTF-8 bytes to lowercase hex', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
