import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  collectNotificationUrl,
  parseDurationMs,
  parseInteger,
  parseNamespace,
  parseObjectName,
  parseObjectRef,
  parseTime,
} from './parse.js';

const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('parseObjectRef', () => {
  it('takes NAMESPACE/NAME with a dotted name, as Secrets and ConfigMaps are named', () => {
    expect(parseObjectRef('ballast-system/sops-keys')).toEqual({
      namespace: 'ballast-system',
      name: 'sops-keys',
    });
    expect(parseObjectRef('shop/web.v2')).toEqual({ namespace: 'shop', name: 'web.v2' });
  });

  it('refuses a bare name rather than guessing the namespace its keys are read from', () => {
    expect(refused(() => parseObjectRef('sops-keys'))).toBe(
      'expected NAMESPACE/NAME, e.g. ballast-system/sops-keys',
    );
  });

  it('refuses empty parts, a third part, upper case and a dotted namespace', () => {
    for (const bad of ['/x', 'x/', 'a/b/c', 'Shop/web', 'shop/Web', 'a.b/c', ' shop/web', ''])
      refused(() => parseObjectRef(bad));
  });
});

describe('parseNamespace and parseObjectName', () => {
  it('take DNS labels for namespaces and DNS subdomains for names', () => {
    expect(parseNamespace('team-a')).toBe('team-a');
    expect(parseObjectName('web.team-a')).toBe('web.team-a');
    expect(refused(() => parseNamespace('team.a'))).toContain('a DNS label');
    refused(() => parseNamespace('x'.repeat(64)));
    refused(() => parseObjectName('-web'));
    refused(() => parseObjectName('web_1'));
  });
});

describe('parseDurationMs', () => {
  it('reads durations as kubectl writes them', () => {
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
  });

  it('refuses bare seconds, signs and zero, naming the form it wants', () => {
    for (const bad of ['300', '-5s', '0s', '5 m', ''])
      expect(refused(() => parseDurationMs(bad))).toBe(
        'expected a duration such as 90s, 5m or 1h30m',
      );
  });
});

describe('parseInteger', () => {
  it('takes whole numbers within the range, both ends included', () => {
    const replicas = parseInteger({ min: 0, max: 10 });
    expect([replicas('0'), replicas('10')]).toEqual([0, 10]);
    for (const bad of ['11', '-1', '1.5', '', ' ', 'two'])
      expect(refused(() => replicas(bad))).toContain('from 0 to 10');
  });
});

describe('parseTime', () => {
  it('keeps an ISO 8601 time as given and refuses words', () => {
    expect(parseTime('2026-03-01T10:00:00Z')).toBe('2026-03-01T10:00:00Z');
    refused(() => parseTime('soon'));
  });
});

describe('collectNotificationUrl', () => {
  it('collects http(s) prefixes and refuses credentials, queries and other schemes', () => {
    expect(collectNotificationUrl('https://hooks.example/a/', ['http://127.0.0.1:9/'])).toEqual([
      'http://127.0.0.1:9/',
      'https://hooks.example/a/',
    ]);
    expect(refused(() => collectNotificationUrl('https://u:p@hooks.example/', []))).toMatch(
      /without user or password/,
    );
    expect(refused(() => collectNotificationUrl('https://hooks.example/?k=v', []))).toMatch(
      /without \? or #/,
    );
    expect(refused(() => collectNotificationUrl('hooks.example', []))).toMatch(/http/);
  });
});
