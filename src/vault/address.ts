/**
 * Which Vault servers the controller may talk to. spec.vault.address is the tenant's to write,
 * and the controller sends that server a login (a token from the tenant's Secret, or one it
 * requests for the Application's ServiceAccount): an address the operator did not allow would
 * let a tenant have the controller connect anywhere it can reach, and collect those tokens.
 */

/** scheme://host[:port] as URL spells it: lower case, default ports left out, no path. */
function originOf(address: string): string | undefined {
  try {
    const u = new URL(address);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    if (u.username !== '' || u.password !== '' || (u.pathname !== '/' && u.pathname !== ''))
      return undefined;
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** Is `address` one of `allowed` (the controller's --vault-address and --vault-allowed-address)? */
export function vaultAddressAllowed(address: string, allowed: readonly string[]): boolean {
  const origin = originOf(address);
  return origin !== undefined && allowed.some((a) => originOf(a) === origin);
}
