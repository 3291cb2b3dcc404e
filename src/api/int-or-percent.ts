/** A count (`3`) or a percentage (`"25%"`), as a Deployment's maxUnavailable takes. */
export const intOrPercentPattern = {
  regex: '^[0-9]+%$',
  hint: 'a whole number such as 5, or a percentage such as "25%"',
} as const;

/**
 * The count `value` stands for among `total`. A concurrency rounds up, so "10%" of 3 clusters
 * is 1 and a small fleet still moves; a failure budget rounds down, so "10%" of 3 is 0.
 */
export function resolveIntOrPercent(
  value: number | string,
  total: number,
  round: 'up' | 'down',
): number {
  if (typeof value === 'number') return value;
  const pct = Number(value.slice(0, -1));
  const exact = (pct * total) / 100;
  return round === 'up' ? Math.ceil(exact) : Math.floor(exact);
}
