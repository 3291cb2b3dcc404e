/**
 * Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits, as the apiserver
 * writes Lease acquireTime and renewTime (`2026-11-30T09:00:00.123456Z`). Go parses this layout
 * strictly, so the digits are always padded to six.
 */
export function formatMicroTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  const iso = new Date(wholeMs).toISOString(); // …T09:00:00.123Z
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

const microTimePattern =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Epoch milliseconds (fractional, keeping microseconds) of an RFC 3339 time with any number of
 * fractional digits or an offset; undefined when the text is not one. Written by hand because
 * Date.parse is only specified for three fractional digits.
 */
export function parseMicroTime(text: string): number | undefined {
  const m = microTimePattern.exec(text);
  if (m === null) return undefined;
  const [, base = '', fraction = '', zone = ''] = m;
  const seconds = Date.parse(`${base}${zone}`);
  if (Number.isNaN(seconds)) return undefined;
  return fraction === '' ? seconds : seconds + Number(`0.${fraction}`) * 1000;
}
