import type { NotificationOutcome } from '../api/notification-policy.js';
import { subjectOf, type Occurrence } from './outcome.js';

/** How many messages one policy sends per window before it summarises. */
export interface RateLimit {
  burst: number;
  windowMs: number;
}

/** What was held back in one window, to be sent as one message when it ends. */
export interface Summary {
  count: number;
  byOutcome: Partial<Record<NotificationOutcome, number>>;
  /** The first few Applications held back, `namespace/name`, each once. */
  subjects: string[];
  /** Whether Applications beyond `subjects` were held back too. */
  others: boolean;
  /** The last held occurrence: a commit status is set from it. */
  last: Occurrence;
}

/** One policy's window: when it began, how many were sent, what was held back. */
export interface RateWindow {
  startMs: number;
  sent: number;
  held: Summary | undefined;
}

/** Subjects a summary names; the rest are counted. */
export const maxSummarySubjects = 5;

export type Admission =
  | { kind: 'send'; window: RateWindow }
  | { kind: 'hold'; window: RateWindow }
  /** The last window ended with messages held: send its summary, then decide again. */
  | { kind: 'flush-first'; summary: Summary; window: RateWindow };

/**
 * Whether an occurrence is sent now or held for the window's summary. Pure: the caller keeps
 * the window and arms a timer for `flushAtMs`. A window starts with the first message after the
 * last one ended, so a quiet policy sends each outcome at once.
 */
export function admit(
  window: RateWindow | undefined,
  nowMs: number,
  limit: RateLimit,
  o: Occurrence,
): Admission {
  if (window !== undefined && nowMs >= window.startMs + limit.windowMs && window.held !== undefined)
    return { kind: 'flush-first', summary: window.held, window: { ...window, held: undefined } };
  const current =
    window === undefined || nowMs >= window.startMs + limit.windowMs
      ? { startMs: nowMs, sent: 0, held: undefined }
      : window;
  if (current.sent < limit.burst)
    return { kind: 'send', window: { ...current, sent: current.sent + 1 } };
  return { kind: 'hold', window: { ...current, held: addTo(current.held, o) } };
}

/** When the window's summary is due, or undefined when nothing is held. */
export function flushAtMs(window: RateWindow, limit: RateLimit): number | undefined {
  return window.held === undefined ? undefined : window.startMs + limit.windowMs;
}

/** The summary to send when the window ended, and the window without it. */
export function flush(
  window: RateWindow,
  nowMs: number,
  limit: RateLimit,
): { summary: Summary | undefined; window: RateWindow } {
  if (window.held === undefined || nowMs < window.startMs + limit.windowMs)
    return { summary: undefined, window };
  // The summary counts against the next window, so a flood that goes on sends it and summaries.
  return { summary: window.held, window: { startMs: nowMs, sent: 1, held: undefined } };
}

function addTo(s: Summary | undefined, o: Occurrence): Summary {
  const subject = subjectOf(o);
  const base: Summary = s ?? { count: 0, byOutcome: {}, subjects: [], others: false, last: o };
  const known = base.subjects.includes(subject);
  const room = base.subjects.length < maxSummarySubjects;
  return {
    count: base.count + 1,
    byOutcome: { ...base.byOutcome, [o.outcome]: (base.byOutcome[o.outcome] ?? 0) + 1 },
    subjects: known || !room ? base.subjects : [...base.subjects, subject],
    others: base.others || (!known && !room),
    last: o,
  };
}
