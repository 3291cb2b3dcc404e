import { describe, expect, it } from 'vitest';
import { defaultLedgerUrl, parseLedgerUrl } from './open.js';

describe('parseLedgerUrl', () => {
  it('reads sqlite URLs with one or three slashes, and bare paths', () => {
    expect(parseLedgerUrl('sqlite:/var/lib/ballast/audit.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/ballast/audit.db',
    });
    expect(parseLedgerUrl('sqlite:///var/lib/a.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/a.db',
    });
    expect(parseLedgerUrl('/tmp/a.db')).toEqual({ kind: 'sqlite', path: '/tmp/a.db' });
  });

  it('reads postgres URLs as they are', () => {
    const url = 'postgres://ballast@db:5432/audit';
    expect(parseLedgerUrl(url)).toEqual({ kind: 'postgres', url });
    expect(parseLedgerUrl('postgresql://db/audit').kind).toBe('postgres');
  });

  it('refuses other schemes and empty paths', () => {
    expect(() => parseLedgerUrl('mysql://db/audit')).toThrow('unsupported ledger scheme mysql');
    expect(() => parseLedgerUrl('sqlite:')).toThrow('needs a file path');
  });
});

describe('defaultLedgerUrl', () => {
  it('prefers BALLAST_LEDGER, else a sqlite file in the state directory', () => {
    expect(defaultLedgerUrl({ BALLAST_LEDGER: 'postgres://db/a' })).toBe('postgres://db/a');
    expect(defaultLedgerUrl({ XDG_STATE_HOME: '/state' })).toBe('sqlite:/state/ballast/audit.db');
  });
});
