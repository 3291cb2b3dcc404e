/** How a failed delivery is tried again. */
export interface BackoffOptions {
  /** The first wait. */
  baseDelayMs: number;
  /** No wait is longer, whatever Retry-After asks. */
  maxDelayMs: number;
  /** Attempts in all, the first included; then the message is dropped and the policy says so. */
  maxAttempts: number;
}

export function defaultBackoffOptions(): BackoffOptions {
  return { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000, maxAttempts: 8 };
}

/** What a receiver's answer means for the message. */
export type Verdict =
  { kind: 'delivered' } | { kind: 'retry'; afterMs: number } | { kind: 'give-up'; why: string };

/** Answers that may pass if asked again: timeouts, throttling, a server in trouble. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before attempt `attempt + 1` (after `attempt` failed, counting from 1): doubling from
 * the base with up to 50% jitter, never shorter than Retry-After, never longer than the cap.
 */
export function retryDelayMs(
  attempt: number,
  opts: BackoffOptions,
  random: () => number,
  asked?: number,
): number {
  const doubled = opts.baseDelayMs * 2 ** Math.min(attempt - 1, 30);
  const jittered = doubled * (1 + random() / 2);
  return Math.min(opts.maxDelayMs, Math.max(jittered, asked ?? 0));
}

/**
 * What to do after attempt `attempt` got `answer` (an HTTP status with its Retry-After, or a
 * network error): delivered, retried after a wait, or given up.
 */
export function verdictOf(
  answer:
    | { kind: 'status'; status: number; retryAfter?: string | undefined }
    | { kind: 'network'; error: string },
  attempt: number,
  opts: BackoffOptions,
  nowMs: number,
  random: () => number,
): Verdict {
  if (answer.kind === 'status' && answer.status >= 200 && answer.status < 300)
    return { kind: 'delivered' };
  const what = answer.kind === 'status' ? `HTTP ${answer.status}` : answer.error;
  if (answer.kind === 'status' && !isRetryable(answer.status))
    return { kind: 'give-up', why: `the receiver refused the message (${what})` };
  if (attempt >= opts.maxAttempts)
    return { kind: 'give-up', why: `${what} after ${attempt} attempts` };
  const asked = answer.kind === 'status' ? retryAfterMs(answer.retryAfter, nowMs) : undefined;
  return { kind: 'retry', afterMs: retryDelayMs(attempt, opts, random, asked) };
}
