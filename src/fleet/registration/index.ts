/**
 * Registration of spoke clusters with the hub: a registration token (a TokenRequest of the
 * `ballast-registrar` ServiceAccount, revocable through its Secret), the agent's key and CSR
 * on the spoke, the hub's registrar that approves only well-formed requests of free names or
 * renewals by the identity itself, and deregistration.
 */
export { obtainHubCredential } from './agent.js';
export { hubClusterOf } from './hub-client.js';
export { defaultAgentRegistrationOptions, type AgentRegistrationOptions } from './options.js';
export {
  renewCredential,
  renewalDue,
  startRenewal,
  type Renewal,
  type RenewalHooks,
  type RenewalOptions,
} from './renew.js';
export type { HubCredential } from './store.js';
export {
  startRegistrar,
  defaultRegistrarOptions,
  type Registrar,
  type RegistrarOptions,
} from './registrar.js';
export {
  createRegistrationToken,
  defaultTokenOptions,
  minTokenTtlSeconds,
  parseTokenTtl,
  type RegistrationToken,
  type TokenOptions,
} from './token.js';
export {
  deregisterCluster,
  classifyHubError,
  type Deregistration,
  type HubStanding,
} from './deregister.js';
export { registrationManifests, registrarControllerRole, clusterRbac } from './manifests.js';
export { registrarGuardNames, registrarGuardPolicy } from './guard.js';
export {
  CredentialStoreError,
  NoRegistrationTokenError,
  RegistrationDeniedError,
  RegistrationTimeoutError,
  RegistrationTokenError,
  TokenTtlError,
} from './errors.js';
export { clusterIdentity, registrarServiceAccount } from './names.js';
