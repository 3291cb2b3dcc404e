import type { NotificationPolicy } from '../api/notification-policy.js';
import { authHeaders, commitStatusRequest } from './commit-status.js';
import { slackBody, webhookBody, type Message } from './message.js';
import { signatureHeader, signatureOf } from './sign.js';
import type { ResolvedTarget } from './target.js';

/** One HTTP request to send. Its headers may hold a token: it is never logged. */
export interface OutgoingRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** The request a message makes to a target; undefined when it makes none (see commitStatusRequest). */
export function requestOf(
  policy: NotificationPolicy,
  t: ResolvedTarget,
  m: Message,
): OutgoingRequest | undefined {
  switch (t.kind) {
    case 'webhook': {
      const name = { namespace: policy.metadata.namespace ?? '', name: policy.metadata.name };
      const body = webhookBody(name, m);
      return { url: t.url, body, headers: { [signatureHeader]: signatureOf(t.hmacKey, body) } };
    }
    case 'slack':
      return { url: t.url, body: slackBody(m), headers: {} };
    case 'commitStatus': {
      const r = commitStatusRequest(t, m);
      return r === undefined
        ? undefined
        : { url: r.url, body: r.body, headers: authHeaders(t.provider, t.token) };
    }
  }
}
