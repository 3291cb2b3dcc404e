import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { defaultCertOptions, generateSealingKey } from '../secrets/sealed/cert.js';
import { sealSecret } from '../secrets/sealed/seal.js';
import type { SealingKeys } from '../secrets/sealed/keys.js';
import { defaultRenderOptions } from './options.js';
import { unsealRendered } from './sealed.js';
import type { RenderResult } from './types.js';

const pair = await generateSealingKey(defaultCertOptions(), 2048);
const other = await generateSealingKey(defaultCertOptions(), 2048);
const keys: SealingKeys = {
  keys: [{ source: 'keys/sealed-secrets-keyabc', ...pair, notBeforeMs: 0 }],
};
const password = 'correct-horse-battery';

function sealed(scope: 'strict' | 'namespace-wide' | 'cluster-wide', to = pair): KubeObject {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop', labels: { app: 'db' } },
    type: 'kubernetes.io/basic-auth',
    stringData: { password },
  };
  const r = sealSecret(secret, createPublicKey(to.keyPem), scope);
  if (r.kind !== 'ok') throw new Error(r.problem);
  return r.sealed;
}

function rendered(...objects: KubeObject[]): RenderResult {
  return {
    kind: 'ok',
    renderer: 'plain',
    objects: objects.map((object, i) => ({ object, origin: { file: 'app/db.yaml', line: 1 + i } })),
    warnings: [],
  };
}

const options = { ...defaultRenderOptions(), sealing: keys };

describe('rendering a SealedSecret', () => {
  it('yields the Secret it describes, with the template’s labels and type, in place of it', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const r = unsealRendered(rendered(cm, sealed('strict')), options);
    if (r.kind !== 'ok') throw r.error;
    expect(r.objects.map((o) => o.object.kind)).toEqual(['ConfigMap', 'Secret']);
    const secret = r.objects[1]?.object;
    expect(secret?.metadata).toEqual({ name: 'db', namespace: 'shop', labels: { app: 'db' } });
    expect(secret?.type).toBe('kubernetes.io/basic-auth');
    expect(secret?.data).toEqual({ password: Buffer.from(password).toString('base64') });
    expect(r.objects[1]?.origin).toEqual({ file: 'app/db.yaml', line: 2 });
  });

  it('expands spec.template.data from the decrypted values', () => {
    const s = sealed('namespace-wide');
    (s.spec as { template: { data?: unknown } }).template.data = {
      url: 'postgres://app:{{ .password }}@db/shop',
    };
    const r = unsealRendered(rendered(s), options);
    if (r.kind !== 'ok') throw r.error;
    const url = (r.objects[0]?.object.data as Record<string, string>).url ?? '';
    expect(Buffer.from(url, 'base64').toString()).toBe(`postgres://app:${password}@db/shop`);
  });

  it('refuses one renamed under the strict scope, naming file, object and scope but no value', () => {
    const s = sealed('strict');
    s.metadata.name = 'db2';
    const r = unsealRendered(rendered(s), options);
    if (r.kind !== 'error') throw new Error('expected a failure');
    expect(r.error.reason).toBe('unseal-failed');
    expect(r.error.message).toMatch(
      /^app\/db\.yaml:1: SealedSecret\.bitnami\.com\/shop\/db2: no sealing key opens encryptedData\.password under the strict scope \(label "shop\/db2"\); tried keys\/sealed-secrets-keyabc/,
    );
    expect(r.error.message).not.toContain(password);
  });

  it('opens a cluster-wide one under any name and namespace, and refuses one sealed to another key', () => {
    const s = sealed('cluster-wide');
    s.metadata = { ...s.metadata, name: 'elsewhere', namespace: 'other' };
    expect(unsealRendered(rendered(s), options).kind).toBe('ok');
    const foreign = unsealRendered(rendered(sealed('cluster-wide', other)), options);
    expect(foreign.kind === 'error' && foreign.error.message).toContain('cluster-wide scope');
  });

  it('fails when no sealing keys are configured at all', () => {
    const r = unsealRendered(rendered(sealed('strict')), defaultRenderOptions());
    expect(r.kind === 'error' && r.error.message).toContain('no sealing keys are configured');
  });
});
