export { vaultAddressAllowed } from './address.js';
export {
  defaultVaultClientOptions,
  VaultClient,
  type VaultClientOptions,
  type VaultLogin,
  type VaultServer,
} from './client.js';
export { VaultPlaceholderError, VaultRequestError } from './errors.js';
export {
  findPlaceholders,
  fillPlaceholders,
  formatVaultRef,
  parsePlaceholder,
  type Found,
  type MountDefaults,
  type VaultRef,
} from './placeholder.js';
export { VaultValues, type Needs, type Resolved, type VaultAccess } from './values.js';
