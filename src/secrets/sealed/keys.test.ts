import { describe, expect, it } from 'vitest';
import { defaultCertOptions, generateSealingKey } from './cert.js';
import { isRenewalDue, sealingKeySecret, sealingKeysFrom } from './keys.js';

const day = 24 * 3600 * 1000;
const older = await generateSealingKey({ ...defaultCertOptions(), notBefore: new Date(0) }, 2048);
const newer = await generateSealingKey(defaultCertOptions(), 2048);

describe('sealing key Secrets', () => {
  it('are read newest first, only when labelled active, and a broken one is named, not used', () => {
    const a = sealingKeySecret('ks', 'sealed-secrets-keyaaaaa', older);
    const b = sealingKeySecret('ks', 'sealed-secrets-keybbbbb', newer);
    const inactive = sealingKeySecret('ks', 'sealed-secrets-keyccccc', newer);
    inactive.metadata.labels = { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'compromised' };
    const broken = sealingKeySecret('ks', 'sealed-secrets-keyddddd', {
      keyPem: older.keyPem,
      certPem: newer.certPem,
    });
    const { keys, problems } = sealingKeysFrom([a, inactive, broken, b]);
    expect(keys.keys.map((k) => k.source)).toEqual([
      'ks/sealed-secrets-keybbbbb',
      'ks/sealed-secrets-keyaaaaa',
    ]);
    expect(problems).toEqual([
      'Secret ks/sealed-secrets-keyddddd: tls.crt is not the certificate of tls.key',
    ]);
    expect(b.type).toBe('kubernetes.io/tls');
  });

  it('are renewed when the newest is older than the period, and never made from nothing', () => {
    const { keys } = sealingKeysFrom([sealingKeySecret('ks', 'k', older)]);
    expect(isRenewalDue({ keys: [] }, 30 * day, Date.now())).toBe(false);
    expect(isRenewalDue(keys, 30 * day, 29 * day)).toBe(false);
    expect(isRenewalDue(keys, 30 * day, 31 * day)).toBe(true);
    expect(isRenewalDue(keys, 0, 1000 * day)).toBe(false);
  });
});
