import { describe, expect, it } from 'vitest';
import { ChunkDecoder, chunkOps, encodeChunks } from './stream.js';

const roundTrip = (value: unknown): unknown => {
  const decoder = new ChunkDecoder();
  for (const chunk of encodeChunks(value)) decoder.push(chunk);
  expect(decoder.done).toBe(true);
  return decoder.value;
};

describe('the chunked result stream', () => {
  it.each([
    ['a string', 'x'],
    ['null', null],
    ['an empty object', {}],
    ['an empty array', []],
    ['nested values', { a: [1, { b: [], c: {} }, 'x', null, true], d: { e: -0.5 } }],
  ])('gives back %s as it was', (_name, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  it('splits a 60k-key map into many small chunks and rebuilds it in order', () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 60_000; i++) data[`k${i}`] = `v${i}`;
    const value = { kind: 'ok', objects: [{ object: { data }, origin: { file: 'a', line: 1 } }] };
    const chunks = encodeChunks(value);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.ops.length).toBeLessThanOrEqual(chunkOps + 1);
    const back = roundTrip(value) as typeof value;
    expect(Object.keys(back.objects[0]?.object.data ?? {})).toEqual(Object.keys(data));
    expect(back).toEqual(value);
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const back = roundTrip(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('carries non-JSON leaves whole', () => {
    const value = { bin: new Uint8Array([1, 2]), nan: NaN };
    expect(roundTrip(value)).toEqual(value);
  });
});
