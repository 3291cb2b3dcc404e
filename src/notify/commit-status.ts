import type { NotificationTarget } from '../api/notification-policy.js';
import type { Message } from './message.js';
import type { Occurrence } from './outcome.js';

type CommitStatusTarget = NonNullable<NotificationTarget['commitStatus']>;
export type Provider = CommitStatusTarget['provider'];

/** The state a commit shows, in the words GitHub and Gitea use. */
export type CommitState = 'pending' | 'success' | 'failure';

/** One commit-status request, without its token (added at the edge, never logged). */
export interface CommitStatusRequest {
  url: string;
  body: string;
  sha: string;
}

/** GitHub limits a description to 140 characters. */
const maxDescription = 140;

/**
 * The commit's state after an occurrence: applied and healthy is success, applied and not yet
 * healthy is pending until the health recovers, a failed sync, a refused commit or degraded health is failure. Drift and
 * rollouts are no state of a commit, so they set none.
 */
export function commitStateOf(o: Occurrence): CommitState | undefined {
  switch (o.outcome) {
    case 'SyncSucceeded':
      return o.health === 'Healthy' ? 'success' : 'pending';
    case 'HealthRecovered':
      return 'success';
    case 'SyncFailed':
    case 'CommitRefused':
    case 'HealthDegraded':
      return 'failure';
    default:
      return undefined;
  }
}

/** The status context: one per Application, so several on one commit do not overwrite each other. */
export function contextOf(o: Pick<Occurrence, 'namespace' | 'name'>): string {
  return `ballast/${o.namespace}/${o.name}`;
}

const join = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;
const segments = (repo: string): string => repo.split('/').map(encodeURIComponent).join('/');

/**
 * The request that sets the commit's status, or undefined when the message sets none (no
 * commit known, or an outcome that is no state of a commit). A summary sets the state of its
 * last occurrence, saying how many it stands for.
 */
export function commitStatusRequest(
  t: Pick<CommitStatusTarget, 'provider' | 'apiURL' | 'repository'>,
  m: Message,
): CommitStatusRequest | undefined {
  const o = m.kind === 'one' ? m.occurrence : m.summary.last;
  const state = commitStateOf(o);
  if (state === undefined || o.revision === undefined || !/^[0-9a-f]{40,64}$/.test(o.revision))
    return undefined;
  const more = m.kind === 'summary' ? ` (+${m.summary.count - 1} more)` : '';
  const description = `${o.reason}: ${o.message}`.slice(0, maxDescription - more.length) + more;
  const context = contextOf(o);
  const sha = o.revision;
  switch (t.provider) {
    case 'github':
    case 'gitea':
      return {
        sha,
        url: join(t.apiURL, `/repos/${segments(t.repository)}/statuses/${sha}`),
        body: JSON.stringify({ state, description, context }),
      };
    case 'gitlab':
      return {
        sha,
        url: join(t.apiURL, `/projects/${encodeURIComponent(t.repository)}/statuses/${sha}`),
        body: JSON.stringify({
          state: state === 'failure' ? 'failed' : state,
          description,
          name: context,
        }),
      };
  }
}

/** How each host takes a token. */
export function authHeaders(provider: Provider, token: string): Record<string, string> {
  switch (provider) {
    case 'github':
      return { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' };
    case 'gitea':
      return { authorization: `token ${token}` };
    case 'gitlab':
      return { 'private-token': token };
  }
}
