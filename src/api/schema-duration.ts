/**
 * Go duration strings (`90s`, `3m`, `1h30m`, `1.5h`), the form Kubernetes users know from
 * Flux and Argo CD. We accept the subset of Go's time.ParseDuration that has a unit on every
 * number and no sign, so the CRD pattern, CEL's duration() and this parser agree.
 */
export const goDurationPattern = {
  regex: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$',
  hint: 'a Go duration such as 90s, 3m or 1h30m',
} as const;

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const whole = new RegExp(goDurationPattern.regex);
const part = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds in a Go duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!whole.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(part)) {
    total += Number(m[1]) * (unitMs[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}
