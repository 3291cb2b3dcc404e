/**
 * A stored inventory could not be read. It names the entry (1-based) and shows its start, so a
 * human can find it in the ConfigMap or status it came from.
 */
export class InventoryParseError extends Error {
  override readonly name = 'InventoryParseError';
  constructor(
    /** The 1-based entry number, or undefined when the input as a whole is wrong. */
    readonly entry: number | undefined,
    /** The offending text, cut to a readable length. */
    readonly text: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      entry === undefined
        ? `inventory: ${problem}`
        : `inventory entry ${entry} "${text}": ${problem}`,
      options,
    );
  }
}
