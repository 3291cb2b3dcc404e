import { describe, expect, it } from 'vitest';
import { vaultAddressAllowed } from './address.js';

describe('vaultAddressAllowed', () => {
  const allowed = ['https://vault.example:8200', 'http://127.0.0.1:8200/'];

  it('allows the addresses the operator named, however their spelling differs', () => {
    expect(vaultAddressAllowed('https://VAULT.example:8200/', allowed)).toBe(true);
    expect(vaultAddressAllowed('http://127.0.0.1:8200', allowed)).toBe(true);
    expect(vaultAddressAllowed('https://vault.example:443', ['https://vault.example'])).toBe(true);
  });

  it('refuses another host, port or scheme, credentials in the URL, and anything with none allowed', () => {
    for (const a of [
      'https://vault.example:8201',
      'http://vault.example:8200',
      'https://vault.example.evil:8200',
      'https://x@vault.example:8200',
      'https://vault.example:8200/v1/',
      'file:///etc/passwd',
      'not a url',
    ])
      expect(vaultAddressAllowed(a, allowed), a).toBe(false);
    expect(vaultAddressAllowed('https://vault.example:8200', [])).toBe(false);
  });
});
