import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slackBody, textOf, webhookBody } from './message.js';
import { requestOf } from './request.js';
import { signatureHeader, signatureOf } from './sign.js';
import { occurrence, policy } from './testdata/fixtures.js';

const summary = (count: number, byOutcome: Record<string, number>, subjects: string[]) =>
  ({
    kind: 'summary',
    summary: { count, byOutcome, subjects, others: false, last: occurrence() },
  }) as const;

describe('textOf', () => {
  it('names the Application, the outcome and the short commit', () => {
    expect(textOf({ kind: 'one', occurrence: occurrence() })).toBe(
      'Application team-a/web: drift reverted at 0123456789ab: ' +
        'Deployment.apps/team-a/web changed by kubectl (spec.replicas); reverted',
    );
  });

  it('summarises a flood of one outcome as "12 more drift reverts on …"', () => {
    expect(textOf(summary(12, { DriftReverted: 12 }, ['team-a/web', 'team-a/api']))).toBe(
      '12 more drift reverts on team-a/web, team-a/api',
    );
  });

  it('lists each outcome of a mixed flood', () => {
    expect(textOf(summary(3, { DriftReverted: 2, SyncFailed: 1 }, ['team-a/web']))).toBe(
      '3 more outcomes (2 drift reverts, 1 sync failed) on team-a/web',
    );
  });
});

describe('slackBody', () => {
  it('keeps a tenant’s text from becoming a mention or a link', () => {
    const o = occurrence({ message: 'hi <!channel> & <https://evil.example|click>' });
    const body = JSON.parse(slackBody({ kind: 'one', occurrence: o })) as {
      text: string;
      blocks: { text: { text: string } }[];
    };
    expect(body.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(body.text).not.toContain('<');
    expect(body.blocks[0]?.text.text).toBe(body.text);
  });
});

describe('webhook requests', () => {
  const p = policy({
    selector: {},
    outcomes: ['DriftReverted'],
    target: { webhook: { url: 'https://hooks.example/x', secretRef: { name: 'hook' } } },
  });

  it('carry the outcome as JSON and an HMAC of the raw body a receiver can check', () => {
    const key = 'k3y-that-must-not-leak';
    const r = requestOf(
      p,
      { kind: 'webhook', url: 'https://hooks.example/x', hmacKey: key },
      { kind: 'one', occurrence: occurrence() },
    );
    expect(r).toBeDefined();
    const want = createHmac('sha256', key)
      .update(r?.body ?? '')
      .digest('hex');
    expect(r?.headers[signatureHeader]).toBe(`sha256=${want}`);
    expect(JSON.parse(r?.body ?? '')).toMatchObject({
      kind: 'Notification',
      policy: { namespace: 'team-a', name: 'hooks' },
      outcome: 'DriftReverted',
      subject: { kind: 'Application', namespace: 'team-a', name: 'web' },
      revision: occurrence().revision,
    });
    expect(r?.body).not.toContain(key);
  });

  it('sign a summary too', () => {
    const body = webhookBody(
      { namespace: 'team-a', name: 'hooks' },
      summary(4, { DriftReverted: 4 }, ['team-a/web']),
    );
    expect(JSON.parse(body)).toMatchObject({ kind: 'NotificationSummary', count: 4 });
    expect(signatureOf('k', body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});
