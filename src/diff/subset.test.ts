import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { holdsDesired } from './subset.js';

const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
};

/** The desired Deployment as stored: defaults, status and another manager's label added. */
function live(edit: (o: { spec: Record<string, unknown> }) => void = () => undefined): KubeObject {
  const o = structuredClone(desired) as KubeObject & { spec: Record<string, unknown> };
  o.metadata = { ...o.metadata, uid: 'u1', labels: { app: 'web', team: 'checkout' } };
  o.spec.strategy = { type: 'RollingUpdate' };
  (o.spec.template as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0] = {
    name: 'web',
    image: 'nginx:1.27',
    imagePullPolicy: 'IfNotPresent',
  };
  o.status = { replicas: 2, observedGeneration: 1 };
  edit(o);
  return o;
}

describe('holdsDesired', () => {
  it('holds when the apiserver only added defaults, status and fields others own', () => {
    expect(holdsDesired(desired, live())).toBe(true);
  });

  it('does not hold after kubectl scale changed the replica count', () => {
    expect(
      holdsDesired(
        desired,
        live((o) => {
          o.spec.replicas = 5;
        }),
      ),
    ).toBe(false);
  });

  it('does not hold after a container was added or an image edited', () => {
    const added = live((o) => {
      const t = o.spec.template as { spec: { containers: unknown[] } };
      t.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    });
    expect(holdsDesired(desired, added)).toBe(false);
    const edited = live((o) => {
      const t = o.spec.template as { spec: { containers: { image: string }[] } };
      (t.spec.containers[0] as { image: string }).image = 'nginx:latest';
    });
    expect(holdsDesired(desired, edited)).toBe(false);
  });

  it('compares a Secret given as stringData with the base64 data the apiserver keeps', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { password: 'one' },
    };
    const stored = (value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', resourceVersion: '5' },
      data: { password: Buffer.from(value).toString('base64') },
      type: 'Opaque',
    });
    expect(holdsDesired(secret, stored('one'))).toBe(true);
    expect(holdsDesired(secret, stored('hand-set'))).toBe(false);
  });

  it('treats a value stored in another form as "compare properly", not as held', () => {
    const cpu = (v: string): KubeObject => ({ ...desired, spec: { resources: { cpu: v } } });
    expect(holdsDesired(cpu('0.5'), cpu('500m'))).toBe(false);
  });
});
