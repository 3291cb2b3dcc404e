import { describe, expect, it } from 'vitest';
import { crdOf } from './resource.js';
import type { JsonSchemaProps } from './schema-openapi.js';
import { schemaNodes, structuralProblems } from './structural.js';
import { notificationPolicyResource, parseNotificationPolicy } from './notification-policy.js';

const policy = (spec: unknown) => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'NotificationPolicy',
  metadata: { name: 'hooks', namespace: 'team-a' },
  spec,
});

const webhook = { url: 'https://hooks.example/a', secretRef: { name: 'hook' } };

describe('parseNotificationPolicy', () => {
  it('defaults the Secret key and the rate limit', () => {
    const r = parseNotificationPolicy(
      policy({ selector: {}, outcomes: ['SyncFailed'], target: { webhook } }),
    );
    expect(r.kind === 'ok' ? r.value.spec : r.error.message).toEqual({
      selector: {},
      outcomes: ['SyncFailed'],
      target: { webhook: { ...webhook, secretRef: { name: 'hook', key: 'hmacKey' } } },
      rateLimit: { burst: 5, window: '1m' },
    });
  });

  it('names the field of every problem: an unknown outcome, two targets, a bad selector key', () => {
    const r = parseNotificationPolicy(
      policy({
        selector: { matchLabels: { 'bad key!': 'x' } },
        outcomes: ['Deployed'],
        target: {
          webhook,
          slack: { urlSecretRef: { name: 'slack' } },
        },
      }),
    );
    expect(r.kind).toBe('error');
    const msg = r.kind === 'error' ? r.error.message : '';
    expect(msg).toMatch(/^NotificationPolicy team-a\/hooks: invalid: /);
    expect(msg).toContain('spec.outcomes[0]: expected one of SyncSucceeded');
    expect(msg).toContain('spec.target');
    expect(msg).toMatch(/exactly one of webhook, slack, commitStatus/);
  });

  it('refuses a URL that is not http(s)', () => {
    const r = parseNotificationPolicy(
      policy({
        selector: {},
        outcomes: ['SyncFailed'],
        target: { webhook: { ...webhook, url: 'file:///etc/passwd' } },
      }),
    );
    expect(r.kind === 'error' ? r.error.message : '').toContain(
      'spec.target.webhook.url: expected an http(s):// URL',
    );
  });
});

describe('the NotificationPolicy CRD', () => {
  const crd = crdOf(notificationPolicyResource) as unknown as {
    metadata: { name: string };
    spec: {
      scope: string;
      versions: {
        subresources: unknown;
        additionalPrinterColumns: { name: string; jsonPath: string }[];
        schema: { openAPIV3Schema: JsonSchemaProps };
      }[];
    };
  };
  const v = crd.spec.versions[0];

  it('is a namespaced ballast.dev kind with a status subresource and a structural schema', () => {
    expect(crd.metadata.name).toBe('notificationpolicies.ballast.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(v?.subresources).toEqual({ status: {} });
    expect(structuralProblems(v?.schema.openAPIV3Schema ?? {})).toEqual([]);
  });

  it('prints its outcomes and Ready from fields the schema has', () => {
    const paths = new Set(schemaNodes(v?.schema.openAPIV3Schema ?? {}).map(([p]) => p));
    expect(v?.additionalPrinterColumns.map((c) => c.name)).toEqual([
      'Outcomes',
      'Ready',
      'Message',
      'Age',
    ]);
    for (const col of v?.additionalPrinterColumns ?? []) {
      if (col.jsonPath === '.metadata.creationTimestamp') continue;
      expect(paths).toContain(col.jsonPath.slice(1).replace(/\[\?\(.*\)\]/, '[]'));
    }
  });
});
