import type { NotificationOutcome } from '../api/notification-policy.js';
import { subjectOf, type Occurrence } from './outcome.js';
import type { Summary } from './rate.js';

/** What one delivery carries: one outcome, or the summary of those a window held back. */
export type Message =
  { kind: 'one'; occurrence: Occurrence } | { kind: 'summary'; summary: Summary };

/** The policy a message is sent for, named in every body so a receiver can tell them apart. */
export interface PolicyName {
  namespace: string;
  name: string;
}

const words: Record<NotificationOutcome, { one: string; many: string }> = {
  SyncSucceeded: { one: 'sync succeeded', many: 'successful syncs' },
  SyncFailed: { one: 'sync failed', many: 'failed syncs' },
  DriftDetected: { one: 'drift detected', many: 'drifts detected' },
  DriftReverted: { one: 'drift reverted', many: 'drift reverts' },
  CommitRefused: { one: 'commit refused', many: 'refused commits' },
  RolloutHalted: { one: 'rollout halted', many: 'halted rollouts' },
  HealthDegraded: { one: 'health degraded', many: 'health degradations' },
  HealthRecovered: { one: 'health recovered', many: 'health recoveries' },
};

/** Event messages are bounded already; a body stays small whatever a tenant named things. */
const maxMessage = 1000;

const short = (sha: string | undefined): string =>
  sha === undefined ? '' : ` at ${sha.slice(0, 12)}`;

/** One line for people: `Application team-a/web: drift reverted at 0a1b2c3d4e5f: …`. */
export function textOf(m: Message): string {
  if (m.kind === 'one') {
    const o = m.occurrence;
    return `${o.kind} ${subjectOf(o)}: ${words[o.outcome].one}${short(o.revision)}: ${o.message.slice(0, maxMessage)}`;
  }
  const s = m.summary;
  const kinds = Object.entries(s.byOutcome) as [NotificationOutcome, number][];
  const what =
    kinds.length === 1 && kinds[0] !== undefined
      ? words[kinds[0][0]].many
      : `outcomes (${kinds.map(([k, n]) => `${n} ${n === 1 ? words[k].one : words[k].many}`).join(', ')})`;
  const on = `${s.subjects.join(', ')}${s.others ? ' and others' : ''}`;
  return `${s.count} more ${what} on ${on}`;
}

/** The generic webhook's JSON body. */
export function webhookBody(policy: PolicyName, m: Message): string {
  const common = { apiVersion: 'ballast.dev/v1alpha1', policy, text: textOf(m) };
  if (m.kind === 'summary') {
    const { count, byOutcome, subjects, others, last } = m.summary;
    return JSON.stringify({
      ...common,
      kind: 'NotificationSummary',
      count,
      byOutcome,
      subjects,
      others,
      time: last.time,
    });
  }
  const o = m.occurrence;
  return JSON.stringify({
    ...common,
    kind: 'Notification',
    outcome: o.outcome,
    subject: { kind: o.kind, namespace: o.namespace, name: o.name },
    reason: o.reason,
    message: o.message.slice(0, maxMessage),
    ...(o.revision === undefined ? {} : { revision: o.revision }),
    ...(o.health === undefined ? {} : { health: o.health }),
    time: o.time,
  });
}

/** Slack reads `<…>` as links and mentions (`<!channel>`): a tenant's text must stay text. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack-compatible JSON: `text` for notifications, one section block for the channel. */
export function slackBody(m: Message): string {
  const text = slackEscape(textOf(m));
  return JSON.stringify({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
}
