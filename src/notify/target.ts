import type { NotificationPolicy } from '../api/notification-policy.js';
import { notificationUrlAllowed } from './allow.js';
import type { Provider } from './commit-status.js';

/** A target with what its Secrets hold, read for one delivery and kept nowhere else. */
export type ResolvedTarget =
  | { kind: 'webhook'; url: string; hmacKey: string }
  | { kind: 'slack'; url: string }
  | { kind: 'commitStatus'; provider: Provider; apiURL: string; repository: string; token: string };

/** Why a policy sends nothing; `reason` becomes its Ready condition's reason. */
export interface TargetProblem {
  reason: 'TargetNotAllowed' | 'SecretUnreadable';
  /** Names the field and the Secret, never a value or a URL read from a Secret. */
  message: string;
}

export type TargetResult =
  { kind: 'ok'; target: ResolvedTarget } | { kind: 'error'; problem: TargetProblem };

/** Reads one entry of a Secret in the policy's namespace: undefined when it or the key is missing. */
export type ReadEntry = (ref: { name: string; key: string }) => Promise<string | undefined>;

const notAllowed = (field: string): TargetProblem => ({
  reason: 'TargetNotAllowed',
  message:
    `${field} is not under any --notification-allowed-url of this controller; nothing was ` +
    'sent. Ask the platform team to allow it',
});

async function entry(
  read: ReadEntry,
  ref: { name: string; key: string },
  field: string,
): Promise<{ kind: 'ok'; value: string } | { kind: 'error'; problem: TargetProblem }> {
  const value = await read(ref);
  return value === undefined || value === ''
    ? {
        kind: 'error',
        problem: {
          reason: 'SecretUnreadable',
          message: `${field}: Secret ${ref.name} has no key ${ref.key}, or cannot be read by the policy's ServiceAccount`,
        },
      }
    : { kind: 'ok', value };
}

/**
 * The policy's target with its Secrets read, or why it sends nothing. URLs written in the spec
 * are judged before any Secret is read, so a refused policy costs no request; the Slack URL,
 * which lives in a Secret, is judged once read.
 */
export async function resolveTarget(
  policy: NotificationPolicy,
  allowed: readonly string[],
  read: ReadEntry,
): Promise<TargetResult> {
  const t = policy.spec.target;
  if (t.webhook !== undefined) {
    if (!notificationUrlAllowed(t.webhook.url, allowed))
      return { kind: 'error', problem: notAllowed(`spec.target.webhook.url ${t.webhook.url}`) };
    const key = await entry(read, t.webhook.secretRef, 'spec.target.webhook.secretRef');
    if (key.kind === 'error') return key;
    return { kind: 'ok', target: { kind: 'webhook', url: t.webhook.url, hmacKey: key.value } };
  }
  if (t.commitStatus !== undefined) {
    const c = t.commitStatus;
    if (!notificationUrlAllowed(c.apiURL, allowed))
      return { kind: 'error', problem: notAllowed(`spec.target.commitStatus.apiURL ${c.apiURL}`) };
    const token = await entry(read, c.tokenSecretRef, 'spec.target.commitStatus.tokenSecretRef');
    if (token.kind === 'error') return token;
    const { provider, apiURL, repository } = c;
    return {
      kind: 'ok',
      target: { kind: 'commitStatus', provider, apiURL, repository, token: token.value.trim() },
    };
  }
  if (t.slack !== undefined) {
    const ref = t.slack.urlSecretRef;
    const url = await entry(read, ref, 'spec.target.slack.urlSecretRef');
    if (url.kind === 'error') return url;
    if (!notificationUrlAllowed(url.value.trim(), allowed))
      return {
        kind: 'error',
        problem: notAllowed(`the URL in Secret ${ref.name} (key ${ref.key})`),
      };
    return { kind: 'ok', target: { kind: 'slack', url: url.value.trim() } };
  }
  throw new Error('NotificationPolicy: the parser requires exactly one target');
}
