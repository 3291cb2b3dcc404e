import type { SopsScalar } from './cipher.js';

/**
 * How sops (go-yaml v3, decoding into interface{}) types an unquoted YAML scalar. The MAC
 * hashes unencrypted values by their Go type (`5` as "5", `true` as "True"), so Ballast must
 * type them exactly as sops does, not as the YAML 1.1 reader kubectl uses would.
 */
const bools: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};
const nulls = new Set(['', '~', 'null', 'Null', 'NULL']);
const specialFloats: Readonly<Record<string, number>> = {
  '.nan': NaN,
  '.NaN': NaN,
  '.NAN': NaN,
  '.inf': Infinity,
  '.Inf': Infinity,
  '.INF': Infinity,
  '+.inf': Infinity,
  '+.Inf': Infinity,
  '+.INF': Infinity,
  '-.inf': -Infinity,
  '-.Inf': -Infinity,
  '-.INF': -Infinity,
};

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const int64Min = -(2n ** 63n);
const uint64Max = 2n ** 64n - 1n;

/** Go's `strconv.ParseInt(s, 0, 64)` (falling back to ParseUint), or undefined. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return undefined;
  const [, sign = '', digits = ''] = m;
  let n: bigint;
  if (/^0[oO]/.test(digits)) n = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) n = BigInt(`0o${digits.slice(1)}`);
  else n = BigInt(digits);
  if (sign === '-') n = -n;
  return n < int64Min || n > uint64Max ? undefined : n;
}

/** The Go value of an unquoted, untagged YAML scalar as sops reads it; null for YAML null. */
export function resolvePlainScalar(text: string): SopsScalar | null {
  const b = bools[text];
  if (b !== undefined) return { type: 'bool', value: b };
  if (nulls.has(text)) return null;
  const special = specialFloats[text];
  if (special !== undefined) return { type: 'float', value: special };
  const first = text[0] ?? '';
  if (first === '.') {
    return yamlStyleFloat.test(text)
      ? { type: 'float', value: Number(text) }
      : { type: 'str', value: text };
  }
  if (!/[0-9+-]/.test(first)) return { type: 'str', value: text };
  // go-yaml keeps timestamp-like values as strings when decoding into interface{}.
  if (/^\d{4}-/.test(text)) return { type: 'str', value: text };
  const plain = text.replace(/_/g, '');
  const int = goParseInt(plain);
  if (int !== undefined) return { type: 'int', value: int };
  if (yamlStyleFloat.test(plain)) return { type: 'float', value: Number(plain) };
  return { type: 'str', value: text };
}
