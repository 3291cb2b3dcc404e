import { describe, expect, it } from 'vitest';
import type { RenderedObject } from './types.js';
import { substituteHelmValues, substituteObjects, type SubstituteResult } from './substitute.js';

const configMap = (
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): RenderedObject => ({
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'pos' },
    data,
    ...extra,
  },
  origin: { file: 'deploy/settings.yaml', line: 3 },
});

function ok<T>(r: SubstituteResult<T>): T {
  if (r.kind !== 'ok') throw new Error(`expected ok, got: ${r.message}`);
  return r.value;
}

const dataOf = (r: SubstituteResult<RenderedObject[]>): unknown => ok(r)[0]?.object['data'];

describe('substituteObjects', () => {
  it("puts each cluster's label value where ${cluster_label_region} is, in any string value", () => {
    const deployment: RenderedObject = {
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'web-${cluster_name}',
          namespace: 'pos',
          labels: { region: '${cluster_label_region}' },
        },
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'web', env: [{ name: 'REGION', value: 'in ${cluster_label_region}!' }] },
              ],
            },
          },
        },
      },
      origin: { file: 'deploy/web.yaml', line: 1 },
    };
    const [out] = ok(
      substituteObjects([deployment], { cluster_name: 'store-1', cluster_label_region: 'eu' }),
    );
    expect(out?.object.metadata).toEqual({
      name: 'web-store-1',
      namespace: 'pos',
      labels: { region: 'eu' },
    });
    expect(JSON.stringify(out?.object)).toContain('"value":"in eu!"');
    expect(out?.origin).toEqual(deployment.origin);
  });

  it('uses the default of ${name:=default} only when the variable is unset, and allows an empty one', () => {
    const r = substituteObjects(
      [configMap({ a: '${size:=small}', b: '${tier:=edge}', c: '[${none:=}]' })],
      { tier: 'core' },
    );
    expect(dataOf(r)).toEqual({ a: 'small', b: 'core', c: '[]' });
  });

  it('turns $${name} into a literal ${name}, and leaves $name, a lone $ and $$ alone', () => {
    const r = substituteObjects(
      [
        configMap({
          a: 'echo $${HOME}',
          b: 'echo $HOME costs $5',
          c: '$$',
          d: '$$${x}',
          e: 'end$',
        }),
      ],
      { x: '1' },
    );
    expect(dataOf(r)).toEqual({
      a: 'echo ${HOME}',
      b: 'echo $HOME costs $5',
      c: '$$',
      d: '$${x}',
      e: 'end$',
    });
  });

  it('changes values only: keys, numbers, booleans and null are kept as they are', () => {
    const r = substituteObjects(
      [configMap({ '${x}': '${x}', n: 3, t: true, z: null, list: ['${x}', 1] })],
      { x: 'v' },
    );
    expect(dataOf(r)).toEqual({ '${x}': 'v', n: 3, t: true, z: null, list: ['v', 1] });
  });

  it("cannot add a field: a label value holding YAML stays one string, unlike Flux's text substitution", () => {
    const evil = 'eu\n  evil: x\nkind: Secret';
    const [out] = ok(
      substituteObjects([configMap({ region: '${cluster_label_region}' })], {
        cluster_label_region: evil,
      }),
    );
    expect(out?.object['data']).toEqual({ region: evil });
    expect(out?.object.kind).toBe('ConfigMap');
    expect(Object.keys(out?.object ?? {})).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(JSON.stringify(out)).not.toMatch(/"evil"/);
  });

  it('does not expand references inside a value, so a variable cannot pull in another', () => {
    const r = substituteObjects([configMap({ a: '${outer}' })], {
      outer: '${inner} $${x}',
      inner: 'secret',
    });
    expect(dataOf(r)).toEqual({ a: '${inner} $${x}' });
  });

  it('never finds a variable on Object.prototype: ${constructor} and ${__proto__} are unset', () => {
    const r = substituteObjects(
      [configMap({ a: '${constructor}', b: '${toString}', c: '${__proto__}' })],
      {},
    );
    expect(r.kind === 'error' && r.problems.map((p) => p.kind === 'unset' && p.variable)).toEqual([
      'constructor',
      'toString',
      '__proto__',
    ]);
  });

  it('names the file, line, object, field and variable when a variable is unset', () => {
    const r = substituteObjects(
      [configMap({ 'app.conf': 'tier=${tier}', region: '${cluster_label_region}' })],
      {},
    );
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.message.split('; deploy')).toEqual([
      'deploy/settings.yaml:3: ConfigMap/pos/settings: data["app.conf"]: variable tier is not set; set it in spec.postBuild.substitute (for a FleetApplication, in a spec.values entry whose clusterSelector matches this Cluster), or give a default: ${tier:=value}',
      '/settings.yaml:3: ConfigMap/pos/settings: data.region: variable cluster_label_region is not set; the Cluster has no label whose key gives this name, or more than one (a key becomes cluster_label_<key> with each character other than A-Z, a-z, 0-9 and _ replaced by _); label the Cluster or give a default: ${cluster_label_region:=value}',
    ]);
  });

  it('refuses references it cannot read, quoting them and saying how to write a literal ${', () => {
    const bad = ['${}', '${1a}', '${a-b}', '${a', '${a:-x}', '${a:=${b}}', '${a:=no end'];
    const r = substituteObjects([configMap({ list: bad })], { a: '1', b: '2' });
    expect(
      r.kind === 'error' && r.problems.map((p) => p.kind === 'malformed' && p.reference),
    ).toEqual(['${', '${', '${a', '${a', '${a', '${a:=${b}', '${a:=no end']);
    expect(r.kind === 'error' && r.message).toContain(
      "data.list[0]: '${' is not a variable reference: write ${name} or ${name:=default} (a name is a letter or _, then letters, digits or _), or $${ for a literal ${",
    );
  });

  it('leaves an object annotated ballast.dev/substitute: disabled as rendered', () => {
    const raw = configMap({ script: 'echo ${HOME}' });
    raw.object.metadata.annotations = { 'ballast.dev/substitute': 'disabled' };
    expect(ok(substituteObjects([raw], {}))[0]).toBe(raw);
  });

  it('does not change its input', () => {
    const input = configMap({ a: '${x}', nested: { b: ['${x}'] } });
    const before = structuredClone(input);
    ok(substituteObjects([input], { x: 'v' }));
    expect(input).toEqual(before);
  });

  it('keeps a key named __proto__ as a key of the copy', () => {
    const data = JSON.parse('{"__proto__": {"polluted": "${x}"}}') as Record<string, unknown>;
    const out = dataOf(substituteObjects([configMap(data)], { x: 'v' })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 'v' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('stops after maxProblems problems and says so', () => {
    const objects = Array.from({ length: 30 }, (_, i) => configMap({ a: `\${v${i}}` }));
    const r = substituteObjects(objects, {}, { maxProblems: 5 });
    expect(r.kind === 'error' && r.problems).toHaveLength(5);
    expect(r.kind === 'error' && r.message).toMatch(/; stopped after 5 problems$/);
  });
});

describe('substituteHelmValues', () => {
  it('substitutes string values of the values tree, naming the values path when a variable is unset', () => {
    const values = {
      image: { tag: '${version:=1.0}', repository: 'reg/${cluster_label_region}' },
      replicas: 2,
    };
    expect(ok(substituteHelmValues(values, { cluster_label_region: 'eu' }))).toEqual({
      image: { tag: '1.0', repository: 'reg/eu' },
      replicas: 2,
    });
    const r = substituteHelmValues({ ingress: { hosts: ['${host}'] } }, {});
    expect(r.kind === 'error' && r.message).toMatch(
      /^spec\.application\.source\.helm\.values\.ingress\.hosts\[0\]: variable host is not set; /,
    );
  });
});

describe('substitution work is bounded', () => {
  const MB = 1024 * 1024;
  const stepsFor = (
    text: string,
    vars: Record<string, string> = { a: 'x' },
    maxProblems = 20,
  ): number => substituteObjects([configMap({ big: text })], vars, { maxProblems }).steps;

  const adversarial: [string, (n: number) => string][] = [
    ['only dollars', (n) => '$'.repeat(n)],
    ['escaped references', (n) => '$${a}'.repeat(n / 5)],
    ['references', (n) => '${a}'.repeat(n / 4)],
    ['a long name never closed', (n) => `\${${'a'.repeat(n)}`],
    ['a default never closed', (n) => `\${a:=${'x'.repeat(n)}`],
    ['a default full of $', (n) => `\${a:=${'$'.repeat(n)}}`],
    ['defaults never closed', (n) => '${a:='.repeat(n / 5)],
    ['names never closed', (n) => '${a$'.repeat(n / 4)],
    ['plain text', (n) => 'x'.repeat(n)],
  ];

  it.each(adversarial)('does work linear in a 1 MB string of %s', (_, make) => {
    const one = stepsFor(make(MB));
    const two = stepsFor(make(2 * MB));
    expect(one).toBeLessThanOrEqual(3 * MB);
    expect(two / one).toBeGreaterThan(1.9);
    expect(two / one).toBeLessThan(2.1);
  });

  it('does work linear in many malformed references, even when every one is reported', () => {
    const n = 100_000;
    const one = stepsFor('${'.repeat(n / 2), {}, n);
    const two = stepsFor('${'.repeat(n), {}, 2 * n);
    expect(one).toBeLessThanOrEqual(3 * n);
    expect(two / one).toBeLessThan(2.1);
  });

  it('refuses to let a 1 MiB variable referenced many times grow an object past maxAddedChars', () => {
    const r = substituteObjects([configMap({ a: '${big}'.repeat(1000) })], { big: 'x'.repeat(MB) });
    expect(r.kind === 'error' && r.problems.map((p) => p.kind)).toEqual(['too-large']);
    expect(r.kind === 'error' && r.message).toBe(
      'deploy/settings.yaml:3: ConfigMap/pos/settings: data.a: variables would add more than 2097152 characters to it; use shorter values or fewer references',
    );
    expect(r.steps).toBeLessThan(10_000);
  });

  it('substitutes 10,000 variables in one string, each once', () => {
    const vars = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`v${i}`, `${i};`]));
    const text = Array.from({ length: 10_000 }, (_, i) => `\${v${i}}`).join('');
    const expected = Array.from({ length: 10_000 }, (_, i) => `${i};`).join('');
    expect(dataOf(substituteObjects([configMap({ text })], vars))).toEqual({ text: expected });
  });

  it('walks 100,000 levels of nesting without overflowing the stack, and shortens the path it reports', () => {
    let deep: unknown = '${missing}';
    for (let i = 0; i < 100_000; i += 1) deep = i % 2 === 0 ? { k: deep } : [deep];
    const r = substituteObjects([configMap({ deep })], {});
    expect(r.kind).toBe('error');
    const path = r.kind === 'error' ? (r.problems[0]?.at.path ?? '') : '';
    expect(path.startsWith('data.deep[0].k[0]')).toBe(true);
    expect(path).toContain('…');
    expect(path.length).toBeLessThan(400);
    let ok2: unknown = '${x}';
    for (let i = 0; i < 100_000; i += 1) ok2 = { k: ok2 };
    let out = (
      ok(substituteObjects([configMap({ ok2 })], { x: 'v' }))[0]?.object['data'] as { ok2: unknown }
    ).ok2;
    for (let i = 0; i < 100_000; i += 1) out = (out as { k: unknown }).k;
    expect(out).toBe('v');
  });
});
