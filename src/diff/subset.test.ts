import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { appliesNothing, holdsDesired } from './subset.js';
import configmapLive from './testdata/configmap-live.json' with { type: 'json' };
import deploymentLive from './testdata/deployment-live.json' with { type: 'json' };

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

describe('appliesNothing', () => {
  const cmDesired = (data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'nginx',
      namespace: 'web',
      labels: { 'ballast.dev/application': 'shop.web' },
    },
    data,
  });
  const cmData = configmapLive.data as Record<string, string>;

  it('is true for a ConfigMap the apiserver stores exactly as Ballast last applied it', () => {
    expect(appliesNothing(cmDesired(cmData), configmapLive as KubeObject, 'ballast')).toBe(true);
  });

  it('is false when Git dropped a key Ballast owns, which the apply would remove', () => {
    const rest = Object.fromEntries(Object.entries(cmData).filter(([k]) => k !== 'worker-count'));
    expect(appliesNothing(cmDesired(rest), configmapLive as KubeObject, 'ballast')).toBe(false);
  });

  it('is false when Git changed a value, and for an object being deleted', () => {
    expect(
      appliesNothing(
        cmDesired({ ...cmData, 'worker-count': '8' }),
        configmapLive as KubeObject,
        'ballast',
      ),
    ).toBe(false);
    const terminating = {
      ...configmapLive,
      metadata: { ...configmapLive.metadata, deletionTimestamp: '2026-11-30T09:00:00Z' },
    };
    expect(appliesNothing(cmDesired(cmData), terminating as KubeObject, 'ballast')).toBe(false);
  });

  const deployment = (protocol?: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'api',
      namespace: 'web',
      labels: { 'app.kubernetes.io/name': 'api', 'ballast.dev/application': 'shop.web' },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'api' } },
        spec: {
          containers: [
            {
              name: 'api',
              image: 'ghcr.io/example/api:1.4.2',
              ports: [
                {
                  containerPort: 8080,
                  name: 'http',
                  ...(protocol === undefined ? {} : { protocol }),
                },
              ],
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  });

  it('finds every owned keyed list item of a live Deployment in the desired one', () => {
    expect(appliesNothing(deployment('TCP'), deploymentLive as KubeObject, 'ballast')).toBe(true);
  });

  it("takes a built-in port's omitted protocol as the TCP the apiserver defaults it to", () => {
    expect(appliesNothing(deployment(), deploymentLive as KubeObject, 'ballast')).toBe(true);
  });

  it('leaves an omitted protocol to the dry run when the live item is not the TCP one', () => {
    const udp = JSON.parse(JSON.stringify(deploymentLive).replaceAll('TCP', 'UDP')) as KubeObject;
    expect(appliesNothing(deployment('UDP'), udp, 'ballast')).toBe(true);
    expect(appliesNothing(deployment(), udp, 'ballast')).toBe(false);
  });

  it("leaves a custom resource's omitted list key to the dry run, whatever its schema defaults", () => {
    const custom = (o: KubeObject): KubeObject => ({ ...o, apiVersion: 'example.com/v1' });
    const live = custom(deploymentLive);
    expect(appliesNothing(custom(deployment('TCP')), live, 'ballast')).toBe(true);
    expect(appliesNothing(custom(deployment()), live, 'ballast')).toBe(false);
  });

  it('is false after kubectl scale, though Ballast still owns the replica count', () => {
    const scaled = { ...deploymentLive, spec: { ...deploymentLive.spec, replicas: 5 } };
    expect(appliesNothing(deployment('TCP'), scaled as KubeObject, 'ballast')).toBe(false);
  });
});
