import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import {
  fillPlaceholders,
  findPlaceholders,
  parsePlaceholder,
  type MountDefaults,
  type Placed,
  type VaultRef,
} from './placeholder.js';

const kv2: MountDefaults = { mount: 'secret', kvVersion: '2' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

const placed = (object: Record<string, unknown>, file = 'app/secret.yaml'): Placed => ({
  object: { metadata: { name: 'db', namespace: 'pay' }, ...object } as KubeObject,
  origin: { file, line: 3 },
});
const secret = (fields: Record<string, unknown>): Placed =>
  placed({ apiVersion: 'v1', kind: 'Secret', ...fields });

const vault: Record<string, Record<string, string>> = {
  'secret/data/payments/db': { password: 's3cret', user: 'app' },
  'secret/data/payments/db?version=1': { password: 'old' },
};
const lookup = (r: VaultRef): string | undefined =>
  vault[r.version === undefined ? r.path : `${r.path}?version=${String(r.version)}`]?.[r.key];

function resolve(objects: Placed[]) {
  const found = findPlaceholders(objects, kv2);
  if (found.kind === 'error') return found;
  return fillPlaceholders(objects, found.value, kv2, lookup);
}

describe('the <vault:PATH#KEY[#VERSION]> grammar', () => {
  it('reads a full path as written and a short one below the KV version 2 mount', () => {
    expect(parsePlaceholder('secret/data/payments/db#password', kv2)).toEqual({
      kind: 'ok',
      value: { path: 'secret/data/payments/db', key: 'password' },
    });
    expect(parsePlaceholder('payments/db#password#3', kv2)).toEqual({
      kind: 'ok',
      value: { path: 'secret/data/payments/db', key: 'password', version: 3 },
    });
    expect(parsePlaceholder('payments/db#password', { mount: 'kv', kvVersion: '1' })).toEqual({
      kind: 'ok',
      value: { path: 'kv/payments/db', key: 'password' },
    });
  });

  it.each([
    ['secret/../sys/raw#x', 'PATH'],
    ['/secret/db#x', 'PATH'],
    ['secret/db', 'KEY'],
    ['secret/db#pass word', 'KEY'],
    ['secret/db#k#0', 'VERSION'],
    ['secret/db#k#1#2', 'too many #'],
    ['secret/db?version=2#k', 'PATH'],
  ])('refuses %s, naming the part that is wrong', (body, part) => {
    const r = parsePlaceholder(body, kv2);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.error.message).toContain(part);
  });
});

describe('resolving placeholders in rendered objects', () => {
  it('fills stringData, a raw data value and a base64 data value (secretGenerator, b64enc)', () => {
    const r = resolve([
      secret({
        stringData: { url: 'postgres://<vault:payments/db#user>:<vault:payments/db#password>@db' },
        data: {
          raw: '<vault:secret/data/payments/db#password#1>',
          encoded: b64('<vault:payments/db#password>'),
          plain: b64('unchanged'),
        },
      }),
    ]);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    const o = r.value[0]?.object as unknown as {
      stringData: Record<string, string>;
      data: Record<string, string>;
    };
    expect(o.stringData.url).toBe('postgres://app:s3cret@db');
    expect(o.data).toEqual({ raw: b64('old'), encoded: b64('s3cret'), plain: b64('unchanged') });
  });

  it('leaves objects without placeholders as they are (the same object, no copy)', () => {
    const cm = placed({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
    const r = resolve([cm]);
    expect(r.kind === 'ok' && r.value[0]).toBe(cm);
  });

  it('refuses a missing key naming the file, the object, the field, the path and the key', () => {
    const r = resolve([secret({ stringData: { token: '<vault:payments/db#token>' } })]);
    expect(r.kind).toBe('error');
    if (r.kind === 'error')
      expect(r.error.message).toBe(
        'Secret/pay/db (app/secret.yaml:3): stringData.token: Vault has no key "token" at ' +
          'secret/data/payments/db; nothing was applied',
      );
  });

  it.each([
    [
      'a ConfigMap value',
      placed({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '<vault:x#k>' } }),
      'data.a',
    ],
    [
      'an annotation of a Secret',
      secret({ metadata: { name: 'db', annotations: { leak: '<vault:x#k>' } } }),
      'metadata.annotations.leak',
    ],
    [
      'a Secret of another API group',
      placed({ apiVersion: 'example.com/v1', kind: 'Secret', data: { a: '<vault:x#k>' } }),
      'data.a',
    ],
    [
      'a list item',
      placed({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { args: ['<vault:x#k>'] } }),
      'spec.args[0]',
    ],
  ])('refuses a placeholder in %s, so no value lands where more can read it', (_name, p, at) => {
    const r = findPlaceholders([p], kv2);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') {
      expect(r.error.message).toContain(`${at} holds a <vault:…> placeholder`);
      expect(r.error.message).toContain('(app/secret.yaml:3)');
    }
  });

  it('refuses a malformed placeholder in a Secret with the grammar in the message', () => {
    const r = findPlaceholders([secret({ stringData: { a: '<vault:payments/db>' } })], kv2);
    expect(r.kind === 'error' && r.error.message).toMatch(
      /stringData\.a: <vault:payments\/db> is not a placeholder: KEY .*<vault:PATH#KEY>/,
    );
  });

  it('refuses an unclosed placeholder', () => {
    const r = findPlaceholders([secret({ stringData: { a: 'x <vault:payments/db#k' } })], kv2);
    expect(r.kind === 'error' && r.error.message).toContain('has no closing >');
  });
});
