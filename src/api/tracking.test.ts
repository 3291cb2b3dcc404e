import { describe, expect, it } from 'vitest';
import type { KubeObject } from './object.js';
import {
  APPLICATION_ID_ANNOTATION,
  describeOwner,
  formatTrackingValue,
  isOwnedBy,
  ownerOf,
  parseTrackingValue,
  TRACKING_LABEL,
  trackingMetadata,
} from './tracking.js';

const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const longApp = { namespace: 'n'.repeat(60), name: 'a'.repeat(60) };

const tracked = (meta: ReturnType<typeof trackingMetadata>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop', ...meta },
});

describe('the tracking label value', () => {
  it('stays <namespace>.<name> when it fits, so objects tracked before stay tracked', () => {
    const id = { namespace: 'shop', name: 'web.v2' };
    expect(formatTrackingValue(id)).toBe('shop.web.v2');
    expect(trackingMetadata(id)).toEqual({
      labels: { [TRACKING_LABEL]: 'shop.web.v2' },
      annotations: {},
    });
    expect(parseTrackingValue('shop.web.v2')).toEqual({ kind: 'plain', id });
    const exact = { namespace: 'n'.repeat(31), name: 'a'.repeat(31) };
    expect(formatTrackingValue(exact)).toBe(`${'n'.repeat(31)}.${'a'.repeat(31)}`);
  });

  it('is a valid label value of at most 63 characters for a 60-character namespace and name', () => {
    const value = formatTrackingValue(longApp);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(labelValue);
    expect(value.startsWith('n'.repeat(46))).toBe(true);
    expect(parseTrackingValue(value)).toEqual({ kind: 'hashed' });
    expect(trackingMetadata(longApp)).toEqual({
      labels: { [TRACKING_LABEL]: value },
      annotations: { [APPLICATION_ID_ANNOTATION]: `${longApp.namespace}/${longApp.name}` },
    });
    expect(ownerOf(tracked(trackingMetadata(longApp)))).toEqual(longApp);
  });

  it('differs for identities that share the first 46 characters', () => {
    const other = { ...longApp, name: `${'a'.repeat(59)}b` };
    expect(formatTrackingValue(other)).not.toBe(formatTrackingValue(longApp));
    // A prefix that would end in a dot or dash is trimmed, so the value stays valid.
    const dotted = { namespace: 'n'.repeat(45), name: `b.${'c'.repeat(30)}` };
    expect(formatTrackingValue(dotted)).toMatch(labelValue);
  });

  it('refuses values this rule never builds', () => {
    for (const bad of [
      3,
      undefined,
      '',
      'shop',
      '.web',
      'shop.',
      'Shop.web',
      'x_nothex',
      'a'.repeat(64),
    ])
      expect(parseTrackingValue(bad)).toBeUndefined();
  });
});

describe('ownership', () => {
  it('of a hashed label is decided by the full identity in the annotation', () => {
    const victim = longApp;
    const attacker = { namespace: 'n'.repeat(60), name: `${'a'.repeat(59)}z` };
    // A collision of the hashed labels, made by hand: the victim's object carries the label
    // the attacker's app would stamp (or a tenant copied it there), with the victim's identity.
    const obj = tracked({
      labels: trackingMetadata(attacker).labels,
      annotations: trackingMetadata(victim).annotations,
    });
    expect(isOwnedBy(obj, attacker)).toBe(false);
    expect(isOwnedBy(obj, victim)).toBe(false);
    expect(ownerOf(obj)).toBeUndefined();
    // Its owner is named as the raw label, not as the attacker.
    expect(describeOwner(obj)).toBe(formatTrackingValue(attacker));

    const victims = tracked(trackingMetadata(victim));
    expect(isOwnedBy(victims, victim)).toBe(true);
    expect(isOwnedBy(victims, attacker)).toBe(false);
    expect(describeOwner(victims)).toBe(`${victim.namespace}/${victim.name}`);
  });

  it('of a hashed label without its annotation, or with a malformed one, is nobody', () => {
    const { labels } = trackingMetadata(longApp);
    expect(ownerOf(tracked({ labels, annotations: {} }))).toBeUndefined();
    const wrong = { [APPLICATION_ID_ANNOTATION]: `${longApp.namespace}.${longApp.name}` };
    expect(ownerOf(tracked({ labels, annotations: wrong }))).toBeUndefined();
  });

  it('of a plain label ignores a tenant-written identity annotation', () => {
    const shop = { namespace: 'shop', name: 'web' };
    const obj = tracked({
      labels: trackingMetadata(shop).labels,
      annotations: { [APPLICATION_ID_ANNOTATION]: 'other/app' },
    });
    expect(ownerOf(obj)).toEqual(shop);
    expect(isOwnedBy(obj, { namespace: 'other', name: 'app' })).toBe(false);
  });
});
