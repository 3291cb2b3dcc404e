import { CsrParseError, parseCsr, soleCommonName } from './csr.js';
import { clientSigner, looksLikeClusterIdentity, parseClusterIdentity } from './names.js';

/** What the registrar reads of one CertificateSigningRequest. */
export interface CsrFacts {
  name: string;
  /** The CSR's uid: a name can be reused once the CSR is garbage collected, a uid cannot. */
  uid: string;
  signerName: string;
  /** Who created it, as the apiserver recorded it (spec.username): it cannot be forged. */
  requester: string;
  usages: readonly string[];
  expirationSeconds: number | undefined;
  /** The PEM request (spec.request, decoded from base64). */
  request: string;
  state: 'pending' | 'approved' | 'denied' | 'failed';
}

/** Why a request was denied; the CSR's Denied condition carries it as its reason. */
export type DenyReason =
  | 'MalformedRequest'
  | 'KeyNotAllowed'
  | 'SubjectNotAllowed'
  | 'UsagesNotAllowed'
  | 'ExpirationNotAllowed'
  | 'RequesterNotAllowed'
  | 'NameTaken'
  | 'NotRegistered';

export type Denial = { kind: 'deny'; reason: DenyReason; message: string };

/** A request that passed every check that needs no lookup. */
export interface Candidate {
  kind: 'candidate';
  purpose: 'registration' | 'renewal';
  cluster: string;
  /** The user the certificate will name: its common name. */
  identity: string;
  /** The uid of the CSR judged, which a registration records in its claim of the name. */
  csrUid: string;
}

/** Not ours to judge (another signer, another requester, or already decided). */
export type Ignore = { kind: 'ignore' };

/** What the hub knows of a cluster name. */
export type Claim =
  | { kind: 'free' }
  /** A Cluster registered to `identity` by the CSR of uid `csrUid` (its annotations). */
  | { kind: 'claimed'; identity: string; csrUid: string };

export type Verdict =
  { kind: 'approve'; purpose: Candidate['purpose']; cluster: string; identity: string } | Denial;

/** How strict the registrar is. */
export interface ScreenOptions {
  /** The registrar ServiceAccount's user name, whose tokens may register new clusters. */
  registrarUser: string;
  /** The longest certificate lifetime the registrar approves; a request must ask for one. */
  maxExpirationSeconds: number;
}

const allowedUsages = new Set(['client auth', 'digital signature']);

const deny = (reason: DenyReason, message: string): Denial => ({ kind: 'deny', reason, message });

/**
 * The checks that need only the request: signer, requester, subject (exactly one common name
 * of the form `ballast:cluster:<name>:<id>`, since an Organization would become a group such as
 * system:masters), no attributes (an extension request could add names), an EC P-256 key that
 * signed the request, client auth usage, and a bounded lifetime.
 */
export function screenCsr(csr: CsrFacts, opts: ScreenOptions): Candidate | Denial | Ignore {
  if (csr.state !== 'pending' || csr.signerName !== clientSigner) return { kind: 'ignore' };
  const fromRegistrar = csr.requester === opts.registrarUser;
  const fromCluster = looksLikeClusterIdentity(csr.requester);
  let parsed;
  try {
    parsed = parseCsr(csr.request);
  } catch (e) {
    if (!(e instanceof CsrParseError)) throw e;
    return fromRegistrar || fromCluster ? deny('MalformedRequest', e.message) : { kind: 'ignore' };
  }
  const cn = soleCommonName(parsed);
  // Someone else's request, for someone else's name: another approver's business.
  if (!fromRegistrar && !fromCluster && !looksLikeClusterIdentity(cn ?? ''))
    return { kind: 'ignore' };
  const identity = cn === undefined ? undefined : parseClusterIdentity(cn);
  if (cn === undefined || identity === undefined)
    return deny(
      'SubjectNotAllowed',
      'the subject must be exactly CN=ballast:cluster:<name>:<16 hex digits>, with a valid Cluster name and no other field',
    );
  if (parsed.attributes.length > 0)
    return deny('SubjectNotAllowed', 'the request must carry no attributes or extensions');
  if (!parsed.signatureValid || parsed.namedCurve !== 'prime256v1')
    return deny(
      'KeyNotAllowed',
      'the request must be an EC P-256 key signing it with ECDSA-SHA256',
    );
  if (!csr.usages.includes('client auth') || csr.usages.some((u) => !allowedUsages.has(u)))
    return deny(
      'UsagesNotAllowed',
      'usages must be "client auth" (and optionally "digital signature")',
    );
  const ttl = csr.expirationSeconds;
  if (ttl === undefined || ttl > opts.maxExpirationSeconds)
    return deny(
      'ExpirationNotAllowed',
      `expirationSeconds must be set and at most ${opts.maxExpirationSeconds}`,
    );
  const who = { cluster: identity.cluster, identity: cn, csrUid: csr.uid };
  if (fromRegistrar) return { kind: 'candidate', purpose: 'registration', ...who };
  if (csr.requester === cn) return { kind: 'candidate', purpose: 'renewal', ...who };
  return deny(
    'RequesterNotAllowed',
    `${csr.requester} may not request a certificate for ${cn}: only a registration token or the identity itself (renewal) may`,
  );
}

/**
 * Whether a candidate gets its certificate, given what the hub knows of its cluster name. A
 * registration takes a free name, or resumes its own claim: the same CSR (by uid), when the
 * registrar stopped between claiming the name and approving. The common name alone is no
 * proof, since every token holder can read it from the registered cluster's CSR. A renewal
 * must be by the identity registered now.
 */
export function judgeClaim(candidate: Candidate, claim: Claim): Verdict {
  const { purpose, cluster, identity } = candidate;
  const ours = claim.kind === 'claimed' && claim.identity === identity;
  if (purpose === 'registration') {
    if (claim.kind === 'free' || (ours && claim.csrUid === candidate.csrUid))
      return { kind: 'approve', purpose, cluster, identity };
    return deny(
      'NameTaken',
      `cluster name "${cluster}" is already registered to another agent; pick another cluster name, or run \`ballast fleet deregister ${cluster}\` first`,
    );
  }
  if (ours) return { kind: 'approve', purpose, cluster, identity };
  return deny(
    'NotRegistered',
    `${identity} is not the registered identity of cluster "${cluster}" (deregistered, or registered again since); register with a new token`,
  );
}
